import ArgumentParser
import EHXCommandLine
import EHXShared

@main
struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-query",
        abstract: "Read transactions and blocks from an ehx chain file.",
        discussion: "Query reads the chain as it is; it does not judge it. Run ehx-verify for that.",
        version: EHXVersion.string,
        subcommands: [Txs.self, BlockCommand.self, Tip.self]
    )

    @Option(help: "The chain file (default: $EHX_CHAIN, else chain.jsonl).")
    var chain: String = ProcessInfoLite.environment("EHX_CHAIN") ?? "chain.jsonl"
}

extension Query {
    struct Txs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print transactions (canonical JSON, one per line) that match every filter given."
        )

        @ParentCommand var query: Query

        @Option(help: "Only this type: genesis, key, policy, reading, alert, access, firmware, stamp.")
        var type: String?

        @Option(help: "Only records from this device.")
        var device: String?

        @Option(help: "Only records about this patient.")
        var patient: String?

        @Option(help: "Only records at or after this time (RFC 3339 or Unix seconds).")
        var since: String?

        @Option(help: "Only records before this time (RFC 3339 or Unix seconds).")
        var until: String?

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                let filter = try TxFilter(type: type, device: device, patient: patient, since: since, until: until)
                let output = try LineWriter(path: "-")
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in
                    for tx in block.txs where filter.matches(tx) {
                        try output.write(tx.json)
                    }
                }
                try output.close()
            }
        }
    }

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
                var found: Block?
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in
                    if found == nil && (block.height == wantedHeight || block.claimedHash == wantedHash) { found = block }
                }
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

    struct Tip: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last block's height, hash, time and transaction count.")

        @ParentCommand var query: Query

        @Flag(help: "Print only the tip's hash.")
        var hash = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                var last: Block?
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in last = block }
                guard let tip = last else { throw ToolError(.dataErr, "\(query.chain): empty chain") }
                if hash {
                    print(tip.claimedHash.displayHex)
                } else {
                    let line: JSONValue = [
                        "height": .number(Double(tip.height)), "hash": .string(tip.claimedHash.displayHex),
                        "time": .number(Double(tip.header.time)), "txs": .number(Double(tip.txs.count)),
                    ]
                    print(line.canonicalString)
                }
            }
        }
    }
}
