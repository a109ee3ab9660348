import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Firmware: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a model's latest registered firmware release, or check an image against the chain.",
            discussion: "A release counts only if its signer held the manufacturer role at its height. Read from the chain's state snapshot (CHAIN.state) and the blocks after it; a chain that breaks a rule, or one without a snapshot, is replayed through the validator instead. Without --check: the latest counting release as one JSON line (exit 1 when there is none). With --check FILE: hashes FILE and exits 0 only if it is a registered, non-revoked release of the model by an authorized manufacturer; otherwise 1 with the reason."
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

        @Flag(help: "Write the latest counting release's image from ehx-query --store to --output, checked against the chain's hash and size.")
        var fetch = false

        @Option(name: .shortAndLong, help: ArgumentHelp("With --fetch: the file to write (atomically: a temporary beside it, fsynced, renamed).", valueName: "file"), completion: .file())
        var output: String?

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            var status = Sysexits.ok
            try reportingFailures(diagnostics) {
                let pin = try genesis.map { (text: String) throws(ToolError) -> SHA256Digest in
                    guard let d = SHA256Digest(displayHex: text) else { throw ToolError(.usage, "--genesis \(text): not a block hash") }
                    return d
                }
                if fetch {
                    guard check == nil, !all else { throw ToolError(.usage, "--fetch does not combine with --check or --all") }
                    guard let output, output != "-" else { throw ToolError(.usage, "--fetch needs -o FILE (a file, written atomically)") }
                    guard query.store != nil else { throw ToolError(.usage, "--fetch needs ehx-query --store DIR") }
                } else if output != nil {
                    throw ToolError(.usage, "-o goes with --fetch")
                }
                let image = try check.map { (path: String) throws(ToolError) in try SHA256File.digest(path: path) }
                let registry = try FirmwareRegistry.load(chain: query.chain, now: Timestamp.now().unixSeconds, genesis: pin,
                                                         threads: ParallelStage.onlineCores, diagnostics: diagnostics)
                let lines = try LineWriter(path: "-")
                if fetch, let output {
                    guard let r = registry.latest(model: model, vendor: vendor) else {
                        throw ToolError(.checkedBad, "no counting firmware release of model \(model)")
                    }
                    guard let store = try query.followedStore(diagnostics: diagnostics) else { return }
                    let bytes: [UInt8]
                    switch try store.get(r.release.sha256) {
                    case .present(let found): bytes = found
                    case .erased(let txid): throw ToolError(.noInput, "\(store.path): the image \(r.release.sha256.hex) was erased (by \(txid.hex))")
                    case .missing:
                        throw ToolError(.noInput, "\(store.path): no blob \(r.release.sha256.hex) (release \(r.release.version) of \(model)); replicate it from a peer: ehx-query --store \(store.path) blobs --missing | ssh PEER ehx-query --store DIR blobs --export | ehx-query --store \(store.path) blobs --import")
                    }
                    // The store checked the hash on reading; the size is the chain's too.
                    guard Int64(bytes.count) == r.release.size else {
                        throw ToolError(.dataErr, "\(store.file(of: r.release.sha256)): \(bytes.count) bytes, the release says \(r.release.size)")
                    }
                    // Replaced atomically: a device never gets a half-written image.
                    let (directory, name) = try SafeDirectory.containing(output)
                    try directory.replace(name, mode: 0o644, contents: bytes)
                    diagnostics.note("\(output): release \(r.release.version) of \(model), \(bytes.count) bytes, sha256 \(r.release.sha256.hex) as registered at height \(r.height)")
                } else if let image, let check {
                    switch registry.check(model: model, vendor: vendor, sha256: image.digest, size: image.size) {
                    case .accepted(let r):
                        try lines.write(r.json)
                        diagnostics.note("\(check): release \(r.release.version) of \(model), registered at height \(r.height) by manufacturer key \(r.signer)")
                    case .rejected(let reason):
                        diagnostics.error("\(check): REJECTED: \(reason)")
                        status = .checkedBad
                    }
                } else if all {
                    for r in registry.matching(model: model, vendor: vendor) {
                        try lines.write(r.json)
                    }
                } else if let r = registry.latest(model: model, vendor: vendor) {
                    try lines.write(r.json)
                } else {
                    diagnostics.error("no counting firmware release of model \(model)")
                    status = .checkedBad
                }
                try lines.close()
            }
            try exitUnlessOK(status)
        }
    }
}
