/// One block: `{"height":…,"hash":…,"header":{…},"txs":[…]}`. A block line in
/// the chain file is exactly `canonicalLine`, so any byte change shows.
public struct Block: Sendable {
    public let height: Int64
    /// The hash as written in the block; the validator compares it with `header.hash`.
    public let claimedHash: SHA256Digest
    public let header: BlockHeader
    public let txs: [Transaction]

    public init(height: Int64, header: BlockHeader, txs: [Transaction]) {
        self.height = height
        self.claimedHash = header.hash
        self.header = header
        self.txs = txs
    }

    /// Parses the structure and every transaction's schema. Cross-block and
    /// cryptographic rules are the validator's job.
    public init(parsing json: JSONValue) throws(RecordError) {
        var leaves: [[UInt8]]?
        try self.init(parsing: json, leaves: &leaves)
    }

    /// `leaves` nil: parse only; non-nil: set to every transaction's Merkle
    /// leaf, from the same serialization as its txid (one per transaction).
    init(parsing json: JSONValue, leaves: inout [[UInt8]]?) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["height", "hash", "header", "txs"])
        (height, claimedHash, header) = try Self.frame(f)
        let list = try f.array("txs")
        guard !list.isEmpty else { throw RecordError(field: "txs", "a block holds at least one transaction") }
        var txs: [Transaction] = []
        txs.reserveCapacity(list.count)
        let wantLeaves = leaves != nil
        var made: [[UInt8]] = []
        if wantLeaves { made.reserveCapacity(list.count) }
        for (i, t) in list.enumerated() {
            do {
                if wantLeaves {
                    let (tx, leaf) = try Transaction.parseWithLeaf(t)
                    txs.append(tx)
                    made.append(leaf)
                } else {
                    txs.append(try Transaction(parsing: t))
                }
            } catch { throw error.nested(in: "txs[\(i)]") }
        }
        self.txs = txs
        if wantLeaves { leaves = made }
    }

    /// A block assembled from parts checked elsewhere (`BlockLine.split`).
    init(height: Int64, claimedHash: SHA256Digest, header: BlockHeader, txs: [Transaction]) {
        self.height = height
        self.claimedHash = claimedHash
        self.header = header
        self.txs = txs
    }

    /// The height, hash and header of a block object, checked in the order
    /// and with the errors of `init(parsing:)`; the transactions are not read.
    static func frame(_ f: RecordFields) throws(RecordError) -> (height: Int64, hash: SHA256Digest, header: BlockHeader) {
        let height = try f.integer("height", in: 0...Int64(UInt32.max))
        let hashText = try f.string("hash", maxLength: 64)
        guard let hash = SHA256Digest(displayHex: hashText) else { throw RecordError(field: "hash", "must be 64 lowercase hex digits") }
        let header: BlockHeader
        do {
            header = try Block.parseHeader(try f.object("header"))
        } catch {
            throw error.nested(in: "header")
        }
        return (height, hash, header)
    }

    static func parseHeader(_ json: JSONValue) throws(RecordError) -> BlockHeader {
        let f = try RecordFields(json, allowed: ["version", "prev", "merkle", "time", "bits", "nonce"])
        let u32 = 0...Int64(UInt32.max)
        let version = try f.integer("version", in: u32)
        guard let prev = SHA256Digest(displayHex: try f.string("prev", maxLength: 64)) else {
            throw RecordError(field: "prev", "must be 64 lowercase hex digits")
        }
        guard let merkle = SHA256Digest(displayHex: try f.string("merkle", maxLength: 64)) else {
            throw RecordError(field: "merkle", "must be 64 lowercase hex digits")
        }
        let time = try f.integer("time", in: u32)
        let bitsText = try f.string("bits", maxLength: 8)
        guard bitsText.utf8.count == 8, let bitsBytes = Hex.decode(bitsText) else {
            throw RecordError(field: "bits", "must be 8 lowercase hex digits")
        }
        let bits = bitsBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let nonce = try f.integer("nonce", in: u32)
        return BlockHeader(version: UInt32(version), prev: prev, merkle: merkle, time: UInt32(time), bits: bits, nonce: UInt32(nonce))
    }

    /// Bits as written in a header object: 8 hex digits, big-endian like Bitcoin's "1d00ffff".
    public static func hexBits(_ bits: UInt32) -> String {
        Hex.encode([UInt8(bits >> 24), UInt8(bits >> 16 & 0xff), UInt8(bits >> 8 & 0xff), UInt8(bits & 0xff)])
    }

    public static func headerJSON(_ h: BlockHeader) -> JSONValue {
        return [
            "version": .number(Double(h.version)),
            "prev": .string(h.prev.displayHex),
            "merkle": .string(h.merkle.displayHex),
            "time": .number(Double(h.time)),
            "bits": .string(hexBits(h.bits)),
            "nonce": .number(Double(h.nonce)),
        ]
    }

    public var json: JSONValue {
        [
            "height": .number(Double(height)),
            "hash": .string(claimedHash.displayHex),
            "header": Block.headerJSON(header),
            "txs": .array(txs.map(\.json)),
        ]
    }

    /// The chain-file line: canonical JSON and a newline.
    public var canonicalLine: [UInt8] { json.canonicalBytes() + [0x0a] }

    /// `canonicalLine` assembled from the transactions' leaves (their
    /// canonical forms) instead of serializing them again (`BlockLine.layout`).
    /// Falls back to the full serialization if the leaves do not match the
    /// transactions in number.
    public func canonicalLine(leaves: [[UInt8]]) -> [UInt8] {
        guard leaves.count == txs.count else { return canonicalLine }
        return BlockLine.layout(head: lineHead, leaves: leaves, newline: true)
    }

    /// The block line up to its first transaction; its length is where the
    /// transactions start in the line.
    public var lineHead: [UInt8] {
        BlockLine.layoutHead(hash: JSONValue.string(claimedHash.displayHex).canonicalBytes(),
                             header: Block.headerJSON(header).canonicalBytes(),
                             height: JSONValue.number(Double(height)).canonicalBytes())
    }

    public var merkleRoot: SHA256Digest {
        MerkleTree.root(leaves: txs.map(\.leaf))
    }
}
