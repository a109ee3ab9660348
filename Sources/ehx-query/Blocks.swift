import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Blocks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the block lines after a given block, as they are in the chain file (for ehx-verify --append).",
            discussion: "The block is looked for from the end of the file back, each line's head read, not its transactions: a pull costs the blocks it sends. The lines are printed as they are; ehx-verify --append judges them."
        )

        @ParentCommand var query: Query

        @Option(help: ArgumentHelp("Print the blocks after the block with this hash (the genesis hash: every block after genesis).", valueName: "hash"))
        var since: String

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                guard let wanted = SHA256Digest(displayHex: since) else {
                    throw ToolError(.usage, "--since \(since): not a block hash (64 lowercase hex digits)")
                }
                // A peer asks for what came after its tip: found from the
                // end back, it costs the new lines, not the chain.
                switch try ChainReader.since(block: wanted, path: query.chain) {
                case .after(let offset, let end):
                    try ChainReader.copy(path: query.chain, from: offset, to: end)
                    return
                case .notFound:
                    throw ToolError(.noInput, "\(query.chain): no block \(since) (a block of another branch?)")
                case .unsure:
                    break
                }
                let output = try LineWriter(path: "-")
                var found = false
                try ChainReader.forEachLine(path: query.chain) { (line, block) throws(ToolError) in
                    if found {
                        try output.write(line: line.bytes)
                    } else if block.claimedHash == wanted {
                        found = true
                    }
                }
                try output.close()
                if !found { throw ToolError(.noInput, "\(query.chain): no block \(since) (a block of another branch?)") }
            }
        }
    }
}
