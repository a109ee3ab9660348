import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct BlockCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "block",
            abstract: "Print one block line, chosen by height or hash."
        )

        @ParentCommand var query: Query

        @Argument(help: "Block height, or block hash (64 hex digits).")
        var id: String

        @Flag(help: "Print only the block's hash.")
        var hash = false

        @Flag(help: "Print only the 80-byte header as hex (recompute the hash with xxd -r -p | openssl dgst).")
        var headerHex = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                let wantedHeight = Int64(id)
                let wantedHash = SHA256Digest(displayHex: id)
                guard wantedHeight != nil || wantedHash != nil else {
                    throw ToolError(.usage, "\(id): not a block height or a 64-hex-digit block hash")
                }
                let found = try ChainReader.firstBlock(path: query.chain) { $0.height == wantedHeight || $0.claimedHash == wantedHash }
                guard let block = found else { throw ToolError(.noInput, "\(query.chain): no block \(id)") }
                if hash {
                    print(block.claimedHash.displayHex)
                } else if headerHex {
                    print(Hex.encode(block.header.serialized))
                } else {
                    print(String(decoding: block.json.canonicalBytes(), as: UTF8.self))
                }
            }
        }
    }
}
