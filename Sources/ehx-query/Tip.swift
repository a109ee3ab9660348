import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Tip: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last block's height, hash, time, transaction count and bits, and the chain's cumulative work.",
            discussion: "\"work\" is the exact sum over every block of Bitcoin's 2^256 / (target + 1) for the bits it carries, as 64 lowercase hex digits (Bitcoin's chainwork form); the chain is read, not judged (use ehx-verify).")

        @ParentCommand var query: Query

        @Flag(help: "Print only the tip's hash, read from the chain's last line alone.")
        var hash = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                // The work needs every block's bits; the hash needs one line.
                if hash, let last = try ChainReader.lastFrame(path: query.chain) {
                    print(last.claimedHash.displayHex)
                    return
                }
                var last: ChainReader.Frame?
                var work = ChainWork.zero
                try ChainReader.forEachFrame(path: query.chain) { (_, frame) throws(ToolError) in
                    last = frame
                    if let target = try? CompactTarget(bits: frame.header.bits) { work += ChainWork(of: target) }
                }
                guard let tip = last else { throw ToolError(.dataErr, "\(query.chain): empty chain") }
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
