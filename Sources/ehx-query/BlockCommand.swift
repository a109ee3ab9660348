import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct BlockCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "block",
            abstract: "Print one block line, chosen by height or hash.",
            discussion: "Uses the index when it is current: the block's line is read where the index puts it. Without one, the chain is read line by line from the start, each line's head only, up to the block. Exit 66 when the chain holds no such block."
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
                // Found through a current index, else by each line's head;
                // only the block printed whole is parsed whole.
                let found = try BlockSource.block(height: wantedHeight, hash: wantedHash, chain: query.chain, diagnostics: diagnostics)
                guard let (frame, block) = found else { throw ToolError(.noInput, "\(query.chain): no block \(id)") }
                if hash {
                    print(frame.claimedHash.displayHex)
                } else if headerHex {
                    print(Hex.encode(frame.header.serialized))
                } else {
                    print(String(decoding: try block().json.canonicalBytes(), as: UTF8.self))
                }
            }
        }
    }
}
