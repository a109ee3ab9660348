import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Proof: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a self-contained inclusion proof of one transaction (check it with ehx-verify --proof).",
            discussion: "One JSON line: the transaction, its leaf index, the tree size, the RFC 6962 audit path, the block's height, hash and header (fields and 80-byte hex)."
        )

        @ParentCommand var query: Query

        @Argument(help: "The transaction id (64 hex digits).")
        var txid: String

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                guard let wanted = SHA256Digest(hex: txid) else {
                    throw ToolError(.usage, "\(txid): not a transaction id (64 lowercase hex digits)")
                }
                var proof: InclusionProof?
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in
                    guard proof == nil, let i = block.txs.firstIndex(where: { $0.txid == wanted }) else { return }
                    proof = InclusionProof(block: block, index: i)
                }
                guard let proof else { throw ToolError(.noInput, "\(query.chain): no transaction \(txid)") }
                let output = try LineWriter(path: "-")
                try output.write(proof.json)
                try output.close()
            }
        }
    }

    struct Headers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the header chain, one {\"hash\",\"header\",\"height\"} line per block (for ehx-verify --proof --headers).",
            discussion: "80 bytes a block, as 160 hex digits: enough to check each block's proof of work and its link to the one before without the transactions."
        )

        @ParentCommand var query: Query

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                let output = try LineWriter(path: "-")
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in
                    try output.write(HeaderLine(block: block).json)
                }
                try output.close()
            }
        }
    }
}
