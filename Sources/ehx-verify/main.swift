import ArgumentParser
import EHXCommandLine
import EHXShared

@main
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-verify",
        abstract: "Check every rule of an ehx chain, offline.",
        discussion: """
            Reads the chain once, line by line, and prints one line per problem on stdout: \
            FILE:LINE: block HEIGHT[ tx TXID]: RULE: detail. A summary goes to stderr. A \
            chain vouches for itself only up to its genesis: pin it with --genesis or \
            --authority, and pin its tip with --expect-tip against truncation. Exit 0: valid \
            (or consistent, when not pinned); 1: problems found; 65: no chain to read; 66: \
            missing file.
            """,
        version: EHXVersion.string
    )

    @Argument(help: "Chain file ('-' or none: stdin).")
    var chain: String = "-"

    @Option(help: "Pin the chain: the genesis block's hash must be this.")
    var genesis: String?

    @Option(help: "Pin the chain: genesis must name this authority (public key PEM file, or base64url raw key).")
    var authority: String?

    @Option(help: "The last block's hash must be this (detects truncation).")
    var expectTip: String?

    @Option(help: "Judge block times against this time instead of the clock (RFC 3339 or Unix seconds).")
    var now: String?

    @Flag(name: .shortAndLong, help: "No summary on stderr; problems are still printed.")
    var quiet = false

    func run() throws {
        let diagnostics = Diagnostics(tool: "ehx-verify", quiet: quiet)
        var status = Sysexits.ok
        try reportingFailures(diagnostics) {
            let pins = try ChainPins(genesis: genesis, authority: authority, expectTip: expectTip)
            var clock = Timestamp.now().unixSeconds
            if let now {
                guard let t = Timestamp(argument: now) else { throw ToolError(.usage, "--now \(now): not an RFC 3339 time or Unix seconds") }
                clock = t.unixSeconds
            }
            let reader = try LineReader(path: chain)
            let output = try LineWriter(path: "-")
            var audit = ChainAudit(now: clock, pins: pins)
            var lastLine = 0
            while let line = try reader.next() {
                lastLine = line.number
                for report in audit.check(line: line) {
                    try output.write(text: "\(reader.name):\(line.number): \(report)")
                }
            }
            for report in audit.finish() {
                try output.write(text: "\(reader.name):\(lastLine): \(report)")
            }
            try output.close()
            guard audit.blocks > 0 else { throw ToolError(.dataErr, "\(reader.name): no blocks (empty input)") }
            diagnostics.note("\(reader.name): \(audit.verdict)")
            status = audit.problemCount == 0 ? .ok : .checkedBad
        }
        try exitUnlessOK(status)
    }
}
