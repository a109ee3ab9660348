import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Txs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print transactions (canonical JSON, one per line) that match every filter given."
        )

        @ParentCommand var query: Query

        @Option(help: "Only this type: genesis, key, policy, reading, alert, access, firmware, stamp.")
        var type: String?

        @Option(help: "Only records from this device.")
        var device: String?

        @Option(help: "Only records about this patient.")
        var patient: String?

        @Option(help: "Only records at or after this time (RFC 3339 or Unix seconds).")
        var since: String?

        @Option(help: "Only records before this time (RFC 3339 or Unix seconds).")
        var until: String?

        @Flag(help: "Only alert records (the same as --type alert).")
        var alerts = false

        @Option(help: "Output: jsonl, csv or table (default: table on a terminal, else jsonl).")
        var format: String?

        @Flag(help: "Keep printing matching transactions as blocks are appended, until SIGINT or SIGTERM.")
        var follow = false

        @Option(help: "The index to use when current (default: CHAIN.index.sqlite).")
        var index: String?

        @Flag(help: "Scan the chain even when a current index exists.")
        var noIndex = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                if alerts, let type, type != "alert" { throw ToolError(.usage, "--alerts contradicts --type \(type)") }
                let filter = try TxFilter(type: alerts ? "alert" : type, device: device, patient: patient, since: since, until: until)
                let output = try LineWriter(path: "-")
                let printer = TxPrinter(format: try ListingFormat.resolve(format), output: output)
                if follow {
                    ChainFollower.installStopHandlers()
                    try ChainFollower(path: query.chain).run({ (block) throws(ToolError) in
                        for tx in block.txs where filter.matches(tx) { try printer.write(tx) }
                    }, idle: { () throws(ToolError) in try printer.flush() })
                } else {
                    try TxSource.forEachMatch(chain: query.chain, filter: filter, index: index, useIndex: !noIndex,
                                              diagnostics: diagnostics) { (bytes, tx) throws(ToolError) in
                        try printer.write(bytes: bytes, tx: tx)
                    }
                }
                try output.close()
            }
        }
    }
}
