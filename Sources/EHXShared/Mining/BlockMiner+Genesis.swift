extension BlockMiner {
    /// Block 0 for a signed genesis transaction: mined at the rules' bits
    /// (a second later whenever all 2^32 nonces fail, as for any block), then
    /// judged by the validator every later tool runs, so no set of options
    /// writes a chain that is born invalid (a genesis over its own
    /// `max_block_bytes`, say).
    public static func genesis(_ tx: Transaction, rules: ChainRules, now: Int64, threads: Int) throws(ToolError) -> Block {
        var header = BlockHeader(version: ChainValidator.headerVersion, prev: .zero, merkle: MerkleTree.root(leaves: [tx.leaf]),
                                 time: UInt32(clamping: now), bits: rules.bits.bits, nonce: 0)
        var mined: BlockHeader?
        for _ in 0..<100_000 {
            mined = NonceSearch.search(header, target: rules.bits, from: 0, through: UInt32.max, threads: threads)
            if mined != nil { break }
            header.time &+= 1
        }
        guard let mined else { throw ToolError(.usage, "no nonce meets bits \(rules.bits.bitsHex); choose an easier target") }
        let block = Block(height: 0, header: mined, txs: [tx])
        var validator = ChainValidator(now: now)
        if let problem = validator.add(block, lineBytes: block.canonicalLine.count).first {
            throw ToolError(.usage, "the genesis block these options make is not valid: \(problem)")
        }
        return block
    }
}
