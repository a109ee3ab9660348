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

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                let filter = try TxFilter(type: type, device: device, patient: patient, since: since, until: until)
                let output = try LineWriter(path: "-")
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in
                    for tx in block.txs where filter.matches(tx) {
                        try output.write(tx.json)
                    }
                }
                try output.close()
            }
        }
    }
}
