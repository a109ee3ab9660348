/// One broken rule found in a chain. Every rule has a stable name so audits,
/// scripts and `man ehx.7` can refer to it.
public struct ChainProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Rule: String, Sendable, CaseIterable {
        case truncated, json, canonical, schema, genesis, height, prev, hash, pow, bits, version
        case timeMedian = "time-median", timeFuture = "time-future"
        case merkle, stamp, signature, role
        case duplicateTxid = "duplicate-txid"
        case replay
        // Rules 2 (a genesis with "rules":2; man ehx.7, THE RULES).
        /// A reading or alert from a key the authority has not bound to its device.
        case deviceBinding = "device-binding"
        /// A reading's or alert's `ts` later than its block's time plus the skew.
        case readingTime = "reading-time"
        /// An alert without `ref`, or whose reading is not earlier on the chain.
        case alertRef = "alert-ref"
        /// A second alert for one reading and rule.
        case alertRepeat = "alert-repeat"
        /// A sealed body whose associated data does not bind its type and signer.
        case sealBinding = "seal-binding"
        /// A sealed body wrapped for a key that may not read it at its block.
        case sealedReader = "sealed-reader"
        case blockSize = "block-size"
        case pin
        /// A grant, genesis or policy bringing in a weak public key (WeakKey).
        case weakKey = "weak-key"
        /// `ehx-verify --append`: an incoming block competes with one this chain holds.
        case fork
        // ehx-verify --store (man ehx.7, ERASURE AND THE STORE).
        /// A stored body's blob is neither in the store nor erased by the chain.
        case blobMissing = "blob-missing"
        /// A stored body's blob does not hash to its name, or does not belong to its transaction.
        case blobCorrupt = "blob-corrupt"
        /// A blob the chain erased is still in the store.
        case erasedPresent = "erased-present"
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
