/// Bitcoin's difficulty retarget (Core's `CalculateNextWorkRequired`) for
/// chains whose genesis rules carry `retarget` (`man ehx.7`, DIFFICULTY).
///
/// A block at a height h that is a multiple of `interval` (h > 0) gets
///
///     new = old × clamp(time(h−1) − time(h−interval)) / (interval × spacing)
///
/// where old is the target required of block h−1, the clamp keeps the actual
/// timespan within [¼, 4×] of interval × spacing, the result is capped at the
/// genesis target (the pow limit) and rounded through the compact form as
/// Core's `GetCompact` does. The timespan covers interval−1 block gaps,
/// Bitcoin's off-by-one, kept so Core's test cases hold here. Every other
/// block carries the bits required of the block before it. The arithmetic is
/// exact (BIGNUM), where Core's 256-bit integer would wrap for a pow limit
/// near 2^256.
public enum Retarget {
    /// Core's clamp: the actual timespan within [target/4, target×4].
    public static func clampedTimespan(actual: Int64, target: Int64) -> Int64 {
        min(max(actual, target / 4), target * 4)
    }

    /// The bits of the first block of a new interval. `lastBits` is what the
    /// block before it carried; `firstTime` and `lastTime` are the times of
    /// the first and last block of the interval that ends; `powLimit` the
    /// easiest target allowed. A result that would be a zero target is
    /// raised to 1 (a target nothing meets in practice, but a valid one).
    public static func nextBits(lastBits: CompactTarget, firstTime: Int64, lastTime: Int64,
                                targetTimespan: Int64, powLimit limit: BigNumber) -> CompactTarget {
        let actual = clampedTimespan(actual: lastTime - firstTime, target: targetTimespan)
        var value = BigNumber(bigEndian: lastBits.target) * BigNumber(UInt64(actual))
        value = (value / BigNumber(UInt64(targetTimespan))) ?? limit
        return compact(min(value, limit))
    }

    /// Core's `GetCompact` of a 256-bit value as a target (zero becomes 1).
    public static func compact(_ value: BigNumber) -> CompactTarget {
        let bytes = value.isZero ? [1] : value.bigEndianBytes
        // GetCompact of a non-zero value below 2^256 always decodes.
        return (try? CompactTarget(bits: CompactTarget.compact(fromTarget: bytes))) ?? (try! CompactTarget(bits: 0x0101_0000))
    }

    /// The bits the rules require of the block at `height` on top of `state`
    /// (its tip is height − 1); nil before genesis rules are known.
    public static func requiredBits(at height: Int64, after state: ChainState) -> UInt32? {
        requiredBits(at: height, rules: state.rules, tipRequiredBits: state.tipRequiredBits,
                     intervalStartTime: state.intervalStartTime, tipTime: state.tipTime)
    }

    /// As `requiredBits(at:after:)` from what a header chain records (a
    /// light client has no `ChainState`): the bits required of the tip, the
    /// time of the block that opened the current interval, the tip's time.
    public static func requiredBits(at height: Int64, rules: ChainRules?, tipRequiredBits: UInt32,
                                    intervalStartTime: UInt32, tipTime: UInt32) -> UInt32? {
        guard let rules else { return nil }
        guard let retarget = rules.retarget, height > 0 else { return rules.bits.bits }
        let previous = (try? CompactTarget(bits: tipRequiredBits)) ?? rules.bits
        guard height % retarget.interval == 0 else { return previous.bits }
        return nextBits(lastBits: previous, firstTime: Int64(intervalStartTime), lastTime: Int64(tipTime),
                        targetTimespan: retarget.targetTimespan, powLimit: BigNumber(bigEndian: rules.bits.target)).bits
    }
}

extension CompactTarget {
    /// Bitcoin's block proof, 2^256 / (target + 1), exactly.
    public var exactWork: BigNumber {
        (BigNumber.power(ofTwo: 256) / (BigNumber(bigEndian: target) + BigNumber(1))) ?? .zero
    }
}

/// Picking a target from a measured hash rate (`ehx-keygen genesis --block-seconds`).
public enum Difficulty {
    /// The easiest target ehx-keygen chooses: about 2 hashes a block.
    public static let easiest = try! CompactTarget(bits: 0x207f_ffff)

    /// The compact target whose expected work, 2^256 / (target + 1), is about
    /// `hashesPerSecond × blockSeconds` hashes: target = 2^256 / hashes − 1,
    /// rounded down by the compact form, never easier than `easiest`.
    public static func bits(hashesPerSecond: Double, blockSeconds: Double) -> CompactTarget {
        let hashes = hashesPerSecond * blockSeconds
        guard hashes.isFinite, hashes >= 2 else { return easiest }
        let count = BigNumber(UInt64(min(hashes, 0x1p63).rounded()))
        guard let quotient = BigNumber.power(ofTwo: 256) / count else { return easiest }
        let value = quotient - BigNumber(1)
        return min(value, BigNumber(bigEndian: easiest.target)) == value ? Retarget.compact(value) : easiest
    }
}
