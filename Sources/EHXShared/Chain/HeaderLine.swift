/// One line of `ehx-query headers`: `{"hash":…,"header":"<160 hex>","height":h}`;
/// the genesis line also carries the genesis transaction (`genesis`), so a
/// light client learns the chain's rules (its limit and retarget) and who
/// signed them, checked against the genesis header's merkle root.
public struct HeaderLine: Sendable {
    public let height: Int64
    public let hash: SHA256Digest
    public let header: BlockHeader
    public let genesis: Transaction?

    /// A block above the genesis: its frame is all a header line holds.
    public init(height: Int64, hash: SHA256Digest, header: BlockHeader) {
        self.height = height
        self.hash = hash
        self.header = header
        genesis = nil
    }

    public init(block: Block) {
        height = block.height
        hash = block.claimedHash
        header = block.header
        genesis = block.height == 0 ? block.txs.first : nil
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "height": .number(Double(height)), "hash": .string(hash.displayHex), "header": .string(Hex.encode(header.serialized)),
        ]
        if let genesis { object["genesis"] = genesis.json }
        return .object(object)
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["height", "hash", "header", "genesis"])
        height = try f.integer("height", in: 0...Int64(UInt32.max))
        guard let h = SHA256Digest(displayHex: try f.string("hash", maxLength: 64)) else {
            throw RecordError(field: "hash", "must be 64 lowercase hex digits")
        }
        hash = h
        guard let raw = Hex.decode(try f.string("header", maxLength: 160)), let parsed = try? BlockHeader(serialized: raw) else {
            throw RecordError(field: "header", "must be the 80-byte header as 160 lowercase hex digits")
        }
        header = parsed
        if f.has("genesis") {
            guard height == 0 else { throw RecordError(field: "genesis", "only the height 0 line carries the genesis transaction") }
            do { genesis = try Transaction(parsing: try f.object("genesis")) } catch { throw error.nested(in: "genesis") }
        } else {
            genesis = nil
        }
    }
}
