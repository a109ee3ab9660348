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
                let reader = try LineReader(path: query.chain)
                let output = try LineWriter(path: "-")
                var found = false
                var any = false
                while let line = try reader.next() {
                    guard line.terminated else {
                        throw ToolError(.dataErr, "\(reader.name):\(line.number): truncated: the last line has no newline (a torn write?)")
                    }
                    let block: Block
                    do { block = try BlockLine.parse(line.bytes) } catch {
                        throw ToolError(.dataErr, "\(reader.name):\(line.number): \(error)")
                    }
                    any = true
                    if found {
                        try output.write(line: line.bytes)
                    } else if block.claimedHash == wanted {
                        found = true
                    }
                }
                try output.close()
                if !any { throw ToolError(.dataErr, "\(reader.name): empty chain (no genesis block)") }
                if !found { throw ToolError(.noInput, "\(reader.name): no block \(since) (a block of another branch?)") }
            }
        }
    }
}
