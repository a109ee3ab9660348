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
        var extranonce: Int64 = 0
        while !shouldStop() {
            let stamp = try Transaction.sign(type: .stamp, body: Stamp(height: height, extranonce: extranonce).json, key: key)
            let txs = [stamp] + transactions
            let merkle = MerkleTree.root(leaves: txs.map(\.leaf))
            let time = UInt32(clamping: max(Int64(earliestTime), now()))
            let header = BlockHeader(version: ChainValidator.headerVersion, prev: prev, merkle: merkle, time: time, bits: bits.bits, nonce: 0)
            if let found = NonceSearch.search(header, target: bits, from: 0, through: UInt32.max,
                                              threads: threads, shouldStop: shouldStop) {
                return Block(height: height, header: found, txs: txs)
            }
            extranonce += 1
        }
        throw Cancelled()
    }
}
