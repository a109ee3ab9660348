@testable import EHXShared

extension CompactTarget {
    /// Expected hashes to meet the target, 2^256 / (target + 1), as a Double
    /// (about 53 bits of it): the tests' cross-check of `exactWork`.
    var work: Double {
        let value = target.reduce(0.0) { $0 * 256 + Double($1) }
        return 0x1p256 / (value + 1)
    }
}
