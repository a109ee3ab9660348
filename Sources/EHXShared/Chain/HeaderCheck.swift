/// The one judgement of an 80-byte header, as Bitcoin Core keeps one
/// `CheckProofOfWork`: the chain validator, an inclusion proof's header, a
/// light client's header chain (`HeaderTrail`), the fork weighing of
/// `ehx-verify --append` and ehx-keygen's genesis all call it, so a header
/// one of them accepts is a header all of them accept.
public enum HeaderCheck {
    /// What the chain up to the block before says the next header must be.
    /// A nil member is unknown to the caller and not judged: a proof alone
    /// knows no limit, a line after an unreadable one knows no link.
    public struct Expectation: Sendable {
        public var height: Int64?
        public var prev: SHA256Digest?
        /// The bits the rules require (fixed difficulty or the retarget).
        public var requiredBits: UInt32?
        /// The easiest target ever allowed: the genesis `bits`.
        public var powLimit: CompactTarget?
        /// The median of up to 11 earlier block times; nil for genesis.
        public var medianTimePast: UInt32?
        /// How many times the median was taken over, for messages.
        public var medianSpan: Int

        public init(height: Int64? = nil, prev: SHA256Digest? = nil, requiredBits: UInt32? = nil,
                    powLimit: CompactTarget? = nil, medianTimePast: UInt32? = nil, medianSpan: Int = 0) {
            self.height = height
            self.prev = prev
            self.requiredBits = requiredBits
            self.powLimit = powLimit
            self.medianTimePast = medianTimePast
            self.medianSpan = medianSpan
        }
    }

    /// Every header rule, in the order ehx-verify reports them: height,
    /// prev, hash, version, bits, pow, time-median. `hash` is the header's
    /// sha256d (passed in when already computed); `claimedHash` the hash the
    /// block or line states.
    public static func problems(_ header: BlockHeader, hash: SHA256Digest, claimedHash: SHA256Digest, height: Int64,
                                expecting e: Expectation) -> [ChainProblem] {
        var problems: [ChainProblem] = []
        if let expected = e.height, height != expected {
            problems.append(ChainProblem(.height, "height \(height) follows height \(expected - 1); expected \(expected)"))
        }
        if let prev = e.prev, header.prev != prev {
            problems.append(ChainProblem(.prev, "prev \(header.prev.displayHex) is not the hash of the block before (\(prev.displayHex))"))
        }
        if claimedHash != hash {
            problems.append(ChainProblem(.hash, "block says hash \(claimedHash.displayHex) but its header hashes to \(hash.displayHex)"))
        }
        if header.version != ChainValidator.headerVersion {
            problems.append(ChainProblem(.version, "header version \(header.version); this ehx knows \(ChainValidator.headerVersion)"))
        }
        if let required = e.requiredBits, header.bits != required {
            problems.append(ChainProblem(.bits, "bits \(Block.hexBits(header.bits)); the chain's rules require \(Block.hexBits(required))"))
        }
        if let problem = proofOfWork(hash: hash, bits: header.bits, limit: e.requiredBits == nil ? e.powLimit : nil) {
            problems.append(problem)
        }
        if let median = e.medianTimePast, height > 0, header.time <= median {
            problems.append(ChainProblem(.timeMedian, "time \(header.time) is not after the median \(median) of the previous \(e.medianSpan) blocks"))
        }
        return problems
    }

    /// Core's `CheckProofOfWork`: the bits decode to a valid target, not
    /// easier than `limit` (when known), and the hash meets it. A header at
    /// the required bits is never easier than the limit (the retarget caps
    /// at it), so callers that know the required bits pass no limit.
    public static func proofOfWork(hash: SHA256Digest, bits: UInt32, limit: CompactTarget?) -> ChainProblem? {
        let target: CompactTarget
        do { target = try CompactTarget(bits: bits) } catch {
            return ChainProblem(.bits, "\(Block.hexBits(bits)) is not a valid compact target: \(error)")
        }
        if let limit, target.isEasier(than: limit) {
            return ChainProblem(.bits, "bits \(target.bitsHex) are easier than the chain's limit \(limit.bitsHex) (its genesis bits)")
        }
        if !target.isMet(by: hash) {
            return ChainProblem(.pow, "hash \(hash.displayHex) is above the target for bits \(target.bitsHex)")
        }
        return nil
    }
}

extension CompactTarget {
    /// True when this target is above `other` (less work a block).
    public func isEasier(than other: CompactTarget) -> Bool {
        for (a, b) in zip(target, other.target) where a != b { return a > b }
        return false
    }
}
