/// Erasures (man ehx.7, ERASURE AND THE STORE): which blobs a valid
/// authority `erasure` has named, and by which transaction. Unlike key
/// changes an erasure needs no "from the next block": it changes no rule,
/// it only tells stores what to delete.
extension ChainState {
    mutating func recordErasure(_ tx: Transaction, valid: Bool) {
        guard valid, tx.type == .erasure, let record = try? ErasureRecord(parsing: tx.body) else { return }
        for blob in record.blobs where erasedBlobs[blob] == nil { erasedBlobs[blob] = tx.txid }
    }

    /// Every blob a valid erasure on the chain names → that erasure's txid (the first one).
    public var erasures: [SHA256Digest: SHA256Digest] { erasedBlobs }
}
