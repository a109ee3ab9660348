/// Rules 2, alerts (man ehx.7, THE RULES): an alert names a reading that is
/// earlier on the chain (an earlier block, or earlier in its own block), and
/// there is at most one alert per reading and rule, so a gateway run twice,
/// or two gateways, cannot make one event count twice.
///
/// A reading is known by a digest of its device (bytes), seq and, for a
/// plain reading, the hash of its body (what an alert's `ref` is); a sealed
/// reading's ref is the hash of its plaintext, which the chain cannot see,
/// so a sealed alert is matched by device pseudonym and seq alone.
extension ChainState {
    /// The `rule` names an alert stands for: those of its `rules` entries, or
    /// `alert` when it has none; a sealed alert's are hidden, so `sealed`.
    static func alertRuleNames(_ body: JSONValue, sealed: Bool) -> [String] {
        if sealed { return ["sealed"] }
        let names = (body["rules"]?.arrayValue ?? []).compactMap { $0["rule"]?.stringValue }
        return names.isEmpty ? ["alert"] : Array(Set(names)).sorted()
    }

    static func readingKey(device: String, seq: Int64, ref: String?) -> SHA256Digest {
        readingKey(device: device, seq: seq) { $0.append(contentsOf: (ref ?? "sealed").utf8) }
    }

    /// SHA-256 of "ehx-reading-key\n", the device, "\n", the seq in
    /// decimal, "\n" and the ref `appendRef` writes; put together in one
    /// buffer (the verifier makes one per reading).
    static func readingKey(device: String, seq: Int64, appendRef: (inout [UInt8]) -> Void) -> SHA256Digest {
        var input: [UInt8] = []
        input.reserveCapacity(readingKeyTag.count + device.utf8.count + 24 + 2 * SHA256Digest.byteCount)
        input.append(contentsOf: readingKeyTag)
        input.append(contentsOf: device.utf8)
        input.append(0x0a)
        input.append(contentsOf: String(seq).utf8)
        input.append(0x0a)
        appendRef(&input)
        return SHA256.hash(input)
    }

    private static let readingKeyTag = Array("ehx-reading-key\n".utf8)

    static func alertKey(reading: SHA256Digest, rule: String) -> SHA256Digest {
        SHA256.hash(Array("ehx-alert-key\n".utf8) + reading.bytes + Array("\n\(rule)".utf8))
    }

    /// The reading an alert is about, as its key (nil: it names none).
    static func referencedReading(_ tx: Transaction) -> SHA256Digest? {
        let sealed = SealedBody.isSealed(tx.body)
        guard let device = tx.body["device"]?.stringValue, let seq = tx.body["seq"]?.integerValue else { return nil }
        if sealed { return readingKey(device: device, seq: seq, ref: nil) }
        guard let ref = tx.body["ref"]?.stringValue else { return nil }
        return readingKey(device: device, seq: seq, ref: ref)
    }

    func alertProblems(_ tx: Transaction) -> [ChainProblem] {
        guard tx.type == .alert else { return [] }
        guard let reading = Self.referencedReading(tx) else {
            return [ChainProblem(.alertRef, "the alert names no reading: a rules-2 chain needs its ref", txid: tx.txid)]
        }
        guard keys.contains([.validReading], key: TxidKey(reading)) else {
            let what = SealedBody.isSealed(tx.body) ? "no sealed reading of its device and seq" : "no reading with its ref, device and seq"
            return [ChainProblem(.alertRef, "\(what) is earlier on the chain", txid: tx.txid)]
        }
        let sealed = SealedBody.isSealed(tx.body)
        for rule in Self.alertRuleNames(tx.body, sealed: sealed) where keys.contains([.plain], key: TxidKey(Self.alertKey(reading: reading, rule: rule))) {
            return [ChainProblem(.alertRepeat, "a second alert for its reading under rule \(rule): already on the chain", txid: tx.txid)]
        }
        return []
    }

    /// Notes a valid alert, for repeats. (A valid reading is noted with its
    /// txid: `ChainState.record`, ChainState+Keys.swift.)
    mutating func recordAlert(_ tx: Transaction) {
        guard tx.type == .alert, let reading = Self.referencedReading(tx) else { return }
        for rule in Self.alertRuleNames(tx.body, sealed: SealedBody.isSealed(tx.body)) {
            keys.insert(.plain, key: TxidKey(Self.alertKey(reading: reading, rule: rule)))
        }
    }
}
