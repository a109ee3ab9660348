/// How `ChainState` finds a transaction among those already recorded
/// (`ChainKeys`): by its txid, or, for a reading on a rules-2 chain, by
/// the reading's key and then its txid, since that one entry also answers
/// the alerts that name the reading.
extension ChainState {
    struct TxIdentity: Sendable {
        let txid: TxidKey
        /// A rules-2 reading's key (`readingKey(device:seq:ref:)`).
        let readingKey: TxidKey?
        /// A reading's device and seq (`deviceSeq(of:)`), for the replay rule.
        let deviceSeq: (ByteIdentity, Int64)?
    }

    /// Computed once per transaction: checking and recording both use it.
    func identity(of tx: Transaction) -> TxIdentity {
        TxIdentity(txid: TxidKey(tx.txid), readingKey: bindsDevices ? Self.ownReadingKey(tx).map(TxidKey.init) : nil,
                   deviceSeq: Self.deviceSeq(of: tx))
    }

    /// Whether a transaction with this identity (the same txid) was recorded.
    func isRecorded(_ identity: TxIdentity) -> Bool {
        if let reading = identity.readingKey {
            return keys.contains([.reading, .validReading], key: reading, txid: identity.txid)
        }
        return keys.contains([.plain], key: identity.txid)
    }

    /// A reading's key as an alert names it (nil: not a reading, or one
    /// without a device and seq, which is then known by its txid alone).
    static func ownReadingKey(_ tx: Transaction) -> SHA256Digest? {
        guard tx.type == .reading, let device = tx.bodyString("device"), let seq = tx.bodySeq else { return nil }
        // A plain reading's ref is the hash of its body, in hex; the body's
        // canonical bytes are those the transaction's own form holds.
        let bodyHash = tx.hasSealedBody ? nil : SHA256.hash(tx.bodyBytes)
        return readingKey(device: device, seq: seq) { input in
            guard let bodyHash else { return input.append(contentsOf: "sealed".utf8) }
            bodyHash.withUnsafeBytes { digest in
                input.append(addingCapacity: 2 * digest.count) { $0.appendHex(digest) }
            }
        }
    }
}

extension ChainState {
    /// An empty state over a given key table (tests inject one whose
    /// hashing makes every key collide).
    init(keys: ChainKeys) {
        self.init()
        self.keys = keys
    }
}
