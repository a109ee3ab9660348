import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct TxCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tx",
            abstract: "Print one transaction, chosen by its txid.",
            discussion: "The same line as txs prints for it: {\"height\":H,\"txid\":\"…\", then the transaction as on the chain (--raw: the transaction alone). Uses the index when it is current. Exit 66 when the chain holds no such transaction."
        )

        @ParentCommand var query: Query

        @Argument(help: "The transaction id (64 lowercase hex digits, as txs, ehx-verify and ehx-sign --spool print it).")
        var txid: String

        @Flag(help: "Print the transaction exactly as on the chain, without \"height\" and \"txid\".")
        var raw = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                let filter = try TxFilter(type: nil, device: nil, patient: nil, since: nil, until: nil, txid: txid)
                let output = try LineWriter(path: "-")
                let printer = TxPrinter(format: .jsonl, output: output, raw: raw)
                var found = false
                try TxSource.forEachMatch(chain: query.chain, filter: filter, index: nil, diagnostics: diagnostics) { (match: IndexedTransaction) throws(ToolError) in
                    // A txid repeated on a broken chain is ehx-verify's to report; the first is the one that counts.
                    guard !found else { return }
                    found = true
                    try printer.write(match)
                }
                try output.close()
                guard found else { throw ToolError(.noInput, "\(query.chain): no transaction \(txid)") }
            }
        }
    }
}
