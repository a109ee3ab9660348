/// One broken rule found in a chain. Every rule has a stable name so audits,
/// scripts and `man ehx.7` can refer to it.
public struct ChainProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Rule: String, Sendable, CaseIterable {
        case truncated, json, canonical, schema, genesis, height, prev, hash, pow, bits, version
        case timeMedian = "time-median", timeFuture = "time-future"
        case merkle, stamp, signature, role
        case duplicateTxid = "duplicate-txid"
        case replay
        case blockSize = "block-size"
        case pin
        /// A grant, genesis or policy bringing in a weak public key (WeakKey).
        case weakKey = "weak-key"
        /// `ehx-verify --append`: an incoming block competes with one this chain holds.
        case fork
    }

    public let rule: Rule
    public let detail: String
    public let txid: SHA256Digest?

    public init(_ rule: Rule, _ detail: String, txid: SHA256Digest? = nil) {
        self.rule = rule
        self.detail = detail
        self.txid = txid
    }

    public var description: String { "\(rule.rawValue): \(detail)" }
}
