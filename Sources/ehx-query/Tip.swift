import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Tip: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last block's height, hash, time and transaction count.")

        @ParentCommand var query: Query

        @Flag(help: "Print only the tip's hash.")
        var hash = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                var last: Block?
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in last = block }
                guard let tip = last else { throw ToolError(.dataErr, "\(query.chain): empty chain") }
                if hash {
                    print(tip.claimedHash.displayHex)
                } else {
                    let line: JSONValue = [
                        "height": .number(Double(tip.height)), "hash": .string(tip.claimedHash.displayHex),
                        "time": .number(Double(tip.header.time)), "txs": .number(Double(tip.txs.count)),
                    ]
                    print(line.canonicalString)
                }
            }
        }
    }
}
