/// Headers followed without their transactions (a light client, or the
/// other side of a fork): each is judged by `HeaderCheck` against what the
/// headers before it establish, and the work of those that pass is summed.
///
/// With the chain's rules (from the genesis transaction) a header must carry
/// exactly the bits the rules require, retarget included; without them,
/// bits never easier than the first header's, which for a trail that starts
/// at genesis is the chain's limit. Times must pass the median rule either way.
public struct HeaderTrail: Sendable {
    public private(set) var rules: ChainRules?
    /// The easiest target allowed: the rules' bits, else the genesis header's.
    public private(set) var powLimit: CompactTarget?
    public private(set) var height: Int64 = -1
    public private(set) var tip: SHA256Digest?
    /// Exact work of every header added (Bitcoin's block proof summed).
    public private(set) var work = ChainWork.zero
    private var recentTimes: [UInt32] = []
    private var tipRequiredBits: UInt32 = 0
    private var intervalStartTime: UInt32 = 0
    private var tipTime: UInt32 = 0

    /// A trail that starts with the genesis header; `rules` when known.
    public init(rules: ChainRules? = nil) {
        self.rules = rules
        powLimit = rules?.bits
    }

    /// A trail that continues a chain after its block at `height`: the
    /// chain's rules, its tip, up to 11 last block times (oldest first),
    /// the bits required of the tip and the start of its retarget interval.
    public init(rules: ChainRules, height: Int64, tip: SHA256Digest, recentTimes: [UInt32],
                tipRequiredBits: UInt32, intervalStartTime: UInt32) {
        self.rules = rules
        powLimit = rules.bits
        self.height = height
        self.tip = tip
        self.recentTimes = Array(recentTimes.suffix(ChainState.medianTimeSpan))
        self.tipRequiredBits = tipRequiredBits
        self.intervalStartTime = intervalStartTime
        tipTime = recentTimes.last ?? 0
    }

    /// Rules learnt after the trail began (the genesis line's transaction).
    public mutating func adopt(_ rules: ChainRules) {
        self.rules = rules
        powLimit = rules.bits
    }

    private var medianTimePast: UInt32? {
        let sorted = recentTimes.sorted()
        return sorted.isEmpty ? nil : sorted[sorted.count / 2]
    }

    /// Judges the next header and makes it the tip (even when it broke a
    /// rule, so later headers are judged on their own). Returns its problems.
    public mutating func add(_ header: BlockHeader, claimedHash: SHA256Digest, height: Int64,
                             hash known: SHA256Digest? = nil) -> [ChainProblem] {
        let hash = known ?? header.hash
        let first = tip == nil
        if first && height == 0 && powLimit == nil {
            // Without the rules, the genesis header's own bits are the limit.
            powLimit = try? CompactTarget(bits: header.bits)
        }
        let required = first && height != 0 ? nil
            : Retarget.requiredBits(at: height, rules: rules, tipRequiredBits: tipRequiredBits,
                                    intervalStartTime: intervalStartTime, tipTime: tipTime)
        let expecting = HeaderCheck.Expectation(
            height: first ? (height == 0 ? 0 : nil) : self.height + 1, prev: first ? (height == 0 ? .zero : nil) : tip,
            requiredBits: required, powLimit: first && height != 0 ? nil : powLimit,
            medianTimePast: medianTimePast, medianSpan: recentTimes.count)
        let problems = HeaderCheck.problems(header, hash: hash, claimedHash: claimedHash, height: height, expecting: expecting)
        if let target = try? CompactTarget(bits: header.bits) { work += ChainWork(of: target) }
        if let interval = rules?.retarget?.interval, height % interval == 0 { intervalStartTime = header.time }
        tipRequiredBits = required ?? header.bits
        recentTimes.append(header.time)
        if recentTimes.count > ChainState.medianTimeSpan { recentTimes.removeFirst() }
        tipTime = header.time
        self.height = height
        tip = hash
        return problems
    }
}
