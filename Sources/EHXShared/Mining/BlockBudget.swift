/// How much a block may hold besides the miner's stamp, the one budget of
/// both ways ehx-mine gathers transactions (a stream, a spool): at most
/// `maxTxs` transactions and `maxBytes` bytes of them. The stamp, header and
/// framing of a block line are kept well inside the chain's max_block_bytes.
public struct BlockBudget: Sendable, Equatable {
    public let maxTxs: Int
    public let maxBytes: Int

    /// `maxTxs` and `maxBytes` as asked (`--max-txs`, `--max-bytes`; nil:
    /// half the chain's max_block_bytes), capped by the chain's rules.
    public init(rules: ChainRules, maxTxs: Int, maxBytes: Int?) {
        self.maxTxs = max(1, min(maxTxs, Int(rules.maxBlockTxs) - 1))
        self.maxBytes = max(1, min(maxBytes ?? Int(rules.maxBlockBytes) / 2, Int(rules.maxBlockBytes) - 4096))
    }

    /// Whether one more transaction whose leaf is `leafBytes` long fits the
    /// candidate. The first always does, so an oversized one is still mined
    /// (alone) and the chain's own size rule judges it.
    public func fits(_ candidate: BlockCandidate, leafBytes: Int) -> Bool {
        candidate.transactions.isEmpty
            || candidate.transactions.count < maxTxs && candidate.bytes + leafBytes + 1 <= maxBytes
    }

    /// No further transaction could fit: mine now rather than wait for one.
    public func isFull(_ candidate: BlockCandidate) -> Bool {
        candidate.transactions.count >= maxTxs || candidate.bytes >= maxBytes
    }
}
