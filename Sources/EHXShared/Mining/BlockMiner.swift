/// Turns admitted transactions into a mined block: the miner's signed stamp
/// first, the RFC 6962 root in the header, then a nonce search; when all
/// 2^32 nonces fail, a new extranonce in the stamp gives a new Merkle root.
/// `threads` > 1 splits each nonce search across that many threads.
public enum BlockMiner {
    public struct Cancelled: Error, CustomStringConvertible {
        public var description: String { "mining stopped before a block was found" }
    }

    public static func mine(
        transactions: [Transaction], height: Int64, prev: SHA256Digest, bits: CompactTarget,
        earliestTime: UInt32, key: Ed25519.PrivateKey, now: () -> Int64 = { Timestamp.now().unixSeconds },
        threads: Int = 1, shouldStop: () -> Bool = { false }
    ) throws -> Block {
        try mine(transactions: transactions, leaves: nil, height: height, prev: prev, bits: bits, earliestTime: earliestTime,
                 key: key, now: now, threads: threads, shouldStop: shouldStop).block
    }

    /// A mined block with what went into its header: every transaction's
    /// leaf (stamp first) and their Merkle root.
    public struct Mined: Sendable {
        public let block: Block
        public let leaves: [[UInt8]]
        public let merkleRoot: SHA256Digest
    }

    /// `leaves`: the transactions' leaves when the caller has them (nil:
    /// computed here); the transactions are hashed once, not per extranonce.
    public static func mine(
        transactions: [Transaction], leaves: [[UInt8]]?, height: Int64, prev: SHA256Digest, bits: CompactTarget,
        earliestTime: UInt32, key: Ed25519.PrivateKey, now: () -> Int64 = { Timestamp.now().unixSeconds },
        threads: Int = 1, shouldStop: () -> Bool = { false }
    ) throws -> Mined {
        let known = leaves.flatMap { $0.count == transactions.count ? $0 : nil } ?? transactions.map(\.leaf)
        let hashes = known.map(MerkleTree.leafHash)
        var extranonce: Int64 = 0
        while !shouldStop() {
            let (stamp, stampLeaf) = try Transaction.signWithLeaf(type: .stamp, body: Stamp(height: height, extranonce: extranonce, txs: Int64(transactions.count + 1)).json, key: key)
            let txs = [stamp] + transactions
            let merkle = MerkleTree.root(leafHashes: [MerkleTree.leafHash(stampLeaf)] + hashes)
            let time = UInt32(clamping: max(Int64(earliestTime), now()))
            let header = BlockHeader(version: ChainValidator.headerVersion, prev: prev, merkle: merkle, time: time, bits: bits.bits, nonce: 0)
            if let found = NonceSearch.search(header, target: bits, from: 0, through: UInt32.max,
                                              threads: threads, shouldStop: shouldStop) {
                return Mined(block: Block(height: height, header: found, txs: txs), leaves: [stampLeaf] + known, merkleRoot: merkle)
            }
            extranonce += 1
        }
        throw Cancelled()
    }
}
