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
                // Found by each line's head; only the block printed whole is parsed whole.
                let found = try ChainReader.firstFrame(path: query.chain) { $0.height == wantedHeight || $0.claimedHash == wantedHash }
                guard let (line, frame) = found else { throw ToolError(.noInput, "\(query.chain): no block \(id)") }
                if hash {
                    print(frame.claimedHash.displayHex)
                } else if headerHex {
                    print(Hex.encode(frame.header.serialized))
                } else {
                    let block = try ChainReader.block(line, in: query.chain)
                    print(String(decoding: block.json.canonicalBytes(), as: UTF8.self))
                }
            }
        }
    }
}
