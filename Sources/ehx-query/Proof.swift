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
                guard let (block, i) = try TxSource.block(holding: wanted, chain: query.chain, diagnostics: diagnostics) else {
                    throw ToolError(.noInput, "\(query.chain): no transaction \(txid)")
                }
                let output = try LineWriter(path: "-")
                try output.write(InclusionProof(block: block, index: i).json)
                try output.close()
            }
        }
    }

    struct Headers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the header chain, one {\"hash\",\"header\",\"height\"} line per block (for ehx-verify --proof --headers).",
            discussion: "80 bytes a block, as 160 hex digits: enough to check each block's proof of work and its link to the one before without the transactions. Uses the index when it is current: each block's head is read where the index puts it, a few hundred bytes a block; without one, every line of the chain is read."
        )

        @ParentCommand var query: Query

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                let output = try LineWriter(path: "-")
                try BlockSource.forEachHeader(chain: query.chain, diagnostics: diagnostics) { (header) throws(ToolError) in
                    try output.write(header.json)
                }
                try output.close()
            }
        }
    }
}
