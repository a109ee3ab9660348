@testable import EHXShared

/// A small in-memory chain at the easiest target, for rule tests: an
/// authority, a gateway and a miner, and helpers to sign and mine.
struct TestChain {
    static let easyBits: UInt32 = 0x207fffff
    let authority: Ed25519.PrivateKey
    let gateway: Ed25519.PrivateKey
    let miner: Ed25519.PrivateKey
    var blocks: [Block] = []
    var clock: Int64 = 1_795_000_000

    /// Blocks carry `bits` (fixed difficulty unless `retarget`).
    let bits: UInt32

    /// - Parameters:
    ///   - rulesVersion: the genesis rules version (default: 1, no `rules` member).
    ///   - gatewayDevices: with rules 2, the devices the gateway is bound to.
    init(retarget: ChainRules.Retarget? = nil, bits: UInt32 = TestChain.easyBits,
         rulesVersion: Int64 = ChainRules.legacyRulesVersion, gatewayDevices: [String] = []) throws {
        authority = try Ed25519.PrivateKey()
        gateway = try Ed25519.PrivateKey()
        miner = try Ed25519.PrivateKey()
        self.bits = bits
        let target = try CompactTarget(bits: bits)
        let rules = ChainRules(chain: "test", authorities: [authority.publicKey], bits: target, retarget: retarget, grants: [
            .init(role: .gateway, key: gateway.publicKey, devices: gatewayDevices), .init(role: .miner, key: miner.publicKey),
        ], rulesVersion: rulesVersion)
        let genesis = try Transaction.sign(type: .genesis, body: rules.json, key: authority)
        blocks.append(try Self.mine([genesis], height: 0, prev: .zero, time: UInt32(clock), bits: bits))
    }

    static func mine(_ txs: [Transaction], height: Int64, prev: SHA256Digest, time: UInt32, bits: UInt32) throws -> Block {
        let header = BlockHeader(version: 1, prev: prev, merkle: MerkleTree.root(leaves: txs.map(\.leaf)), time: time, bits: bits, nonce: 0)
        let target = try CompactTarget(bits: bits)
        guard let found = NonceSearch.search(header, target: target, from: 0, through: UInt32.max) else {
            throw ToolError(.dataErr, "no nonce")
        }
        return Block(height: height, header: found, txs: txs)
    }

    func reading(device: String = "bed1", seq: Int64, value: Double = 72, ts: String = "2026-11-26T10:00:00.000Z") -> JSONValue {
        ["device": .string(device), "patient": "P-1", "seq": .number(Double(seq)), "ts": .string(ts),
         "kind": "heart_rate", "value": .number(value), "unit": "/min"]
    }

    /// The RFC 3339 time `seconds` after the clock (the next block's time is clock + 60).
    func ts(after seconds: Int64 = 0) -> String {
        Timestamp(millisecondsSince1970: (clock + seconds) * 1000).description
    }

    func signed(_ body: JSONValue, type: TxType = .reading, by key: Ed25519.PrivateKey? = nil) throws -> Transaction {
        try Transaction.sign(type: type, body: body, key: key ?? gateway)
    }

    /// Mines `txs` after a fresh stamp on the current tip.
    mutating func append(_ txs: [Transaction], stampedBy key: Ed25519.PrivateKey? = nil) throws -> Block {
        let tip = blocks[blocks.count - 1]
        clock += 60
        let stamp = try Transaction.sign(type: .stamp, body: Stamp(height: tip.height + 1, extranonce: 0, txs: Int64(txs.count + 1)).json, key: key ?? miner)
        let block = try Self.mine([stamp] + txs, height: tip.height + 1, prev: tip.header.hash, time: UInt32(clock), bits: bits)
        blocks.append(block)
        return block
    }

    /// Runs every block through a fresh validator; returns problems per height.
    func validate(_ list: [Block]? = nil) -> [Int64: [ChainProblem]] {
        var validator = ChainValidator(now: clock)
        var out: [Int64: [ChainProblem]] = [:]
        for block in list ?? blocks {
            let problems = validator.add(block, lineBytes: block.canonicalLine.count)
            if !problems.isEmpty { out[block.height, default: []] += problems }
        }
        return out
    }
}
