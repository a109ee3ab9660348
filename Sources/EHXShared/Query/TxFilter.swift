/// The filters of `ehx-query txs`: every one given must match.
public struct TxFilter: Sendable {
    public let type: TxType?
    public let device: String?
    public let patient: String?
    public let since: Timestamp?
    public let until: Timestamp?
    /// One transaction (`ehx-query tx`): its id, 64 lowercase hex digits.
    public let txid: String?
    private let txidDigest: SHA256Digest?

    public init(type: String?, device: String?, patient: String?, since: String?, until: String?, txid: String? = nil) throws(ToolError) {
        if let txid {
            guard let digest = SHA256Digest(hex: txid), digest.hex == txid else {
                throw ToolError(.usage, "\(txid): not a transaction id (64 lowercase hex digits)")
            }
            txidDigest = digest
        } else {
            txidDigest = nil
        }
        self.txid = txid
        if let type {
            guard let t = TxType(rawValue: type) else { throw ToolError(.usage, "--type \(type): unknown transaction type") }
            self.type = t
        } else {
            self.type = nil
        }
        func time(_ text: String?, _ option: String) throws(ToolError) -> Timestamp? {
            guard let text else { return nil }
            guard let t = Timestamp(argument: text) else { throw ToolError(.usage, "\(option) \(text): not an RFC 3339 time or Unix seconds") }
            return t
        }
        self.device = device
        self.patient = patient
        self.since = try time(since, "--since")
        self.until = try time(until, "--until")
    }

    public func matches(_ tx: Transaction) -> Bool {
        if let type, tx.type != type { return false }
        if let txidDigest, tx.txid != txidDigest { return false }
        // By bytes: an NFC and an NFD id are two devices or patients (see ByteIdentity).
        if let device, !(tx.bodyString("device")?.sameBytes(as: device) ?? false) { return false }
        if let patient, !(tx.bodyString("patient")?.sameBytes(as: patient) ?? false) { return false }
        if since != nil || until != nil {
            let t = tx.subjectTime
            if let since, t < since { return false }
            if let until, t >= until { return false }
        }
        return true
    }
}
