import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Blocks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the block lines after a given block, as they are in the chain file (for ehx-verify --append)."
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
