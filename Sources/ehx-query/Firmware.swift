import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Firmware: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a model's latest registered firmware release, or check an image against the chain.",
            discussion: "Replays the chain through the validator, so a release counts only if its signer held the manufacturer role at its height. Without --check: the latest counting release as one JSON line (exit 1 when there is none). With --check FILE: hashes FILE and exits 0 only if it is a registered, non-revoked release of the model by an authorized manufacturer; otherwise 1 with the reason."
        )

        @ParentCommand var query: Query

        @Option(help: "The device model.")
        var model: String

        @Option(help: "Only releases from this vendor.")
        var vendor: String?

        @Option(help: ArgumentHelp("The firmware image to check.", valueName: "file"), completion: .file())
        var check: String?

        @Flag(help: "Print every release of the model (counting or not) instead of the latest.")
        var all = false

        @Option(help: "Pin the chain: its genesis hash must be this.")
        var genesis: String?

        @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
        var quiet = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            var status = Sysexits.ok
            try reportingFailures(diagnostics) {
                let pin = try genesis.map { (text: String) throws(ToolError) -> SHA256Digest in
                    guard let d = SHA256Digest(displayHex: text) else { throw ToolError(.usage, "--genesis \(text): not a block hash") }
                    return d
                }
                let image = try check.map { (path: String) throws(ToolError) in try SHA256File.digest(path: path) }
                let registry = try FirmwareRegistry.load(chain: query.chain, now: Timestamp.now().unixSeconds, genesis: pin)
                let output = try LineWriter(path: "-")
                if let image, let check {
                    switch registry.check(model: model, vendor: vendor, sha256: image.digest, size: image.size) {
                    case .accepted(let r):
                        try output.write(r.json)
                        diagnostics.note("\(check): release \(r.release.version) of \(model), registered at height \(r.height) by manufacturer key \(r.signer)")
                    case .rejected(let reason):
                        diagnostics.error("\(check): REJECTED: \(reason)")
                        status = .checkedBad
                    }
                } else if all {
                    for r in registry.releases where r.release.model == model && (vendor == nil || r.release.vendor == vendor) {
                        try output.write(r.json)
                    }
                } else if let r = registry.latest(model: model, vendor: vendor) {
                    try output.write(r.json)
                } else {
                    diagnostics.error("no counting firmware release of model \(model)")
                    status = .checkedBad
                }
                try output.close()
            }
            try exitUnlessOK(status)
        }
    }
}
