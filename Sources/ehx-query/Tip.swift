import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Tip: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last block's height, hash, time, transaction count and bits, and the chain's cumulative work.",
            discussion: "\"work\" is the exact sum over every block of Bitcoin's 2^256 / (target + 1) for the bits it carries, as 64 lowercase hex digits (Bitcoin's chainwork form); the chain is read, not judged (use ehx-verify). The blocks a current state snapshot (CHAIN.state) covers are not read again: their work is the snapshot's.")

        @ParentCommand var query: Query

        @Flag(help: "Print only the tip's hash, read from the chain's last line alone.")
        var hash = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                // The hash needs one line; the work needs every block's bits.
                if hash, let last = try ChainReader.lastFrame(path: query.chain) {
                    print(last.claimedHash.displayHex)
                    return
                }
                let (tip, work, _) = try ChainReader.tip(path: query.chain)
                if hash {
                    print(tip.claimedHash.displayHex)
                } else {
                    let line: JSONValue = [
                        "height": .number(Double(tip.height)), "hash": .string(tip.claimedHash.displayHex),
                        "time": .number(Double(tip.header.time)), "txs": .number(Double(tip.txCount)),
                        "bits": .string(Block.hexBits(tip.header.bits)), "work": .string(work.paddedHex),
                    ]
                    print(line.canonicalString)
                }
            }
        }
    }
}
