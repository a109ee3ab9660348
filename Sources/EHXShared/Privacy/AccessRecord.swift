/// The body of an `access` transaction: the signer (the reader) opened these
/// sealed transactions, for this reason, at the transaction's `ts`.
///
///     {"txids":["<64 hex>",…],"reason":"ward round","note":"…"}
///
/// Break-glass openings through the policy's emergency key have reason
/// `emergency`; the reader's own words then go in `note`.
public struct AccessRecord: Sendable {
    public static let maxTxids = 1000
    public static let emergencyReason = "emergency"

    public let txids: [SHA256Digest]
    public let reason: String
    public let note: String?

    public init(txids: [SHA256Digest], reason: String, note: String? = nil) {
        self.txids = txids
        self.reason = reason
        self.note = note
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["txids", "reason", "note"])
        let list = try f.array("txids")
        guard !list.isEmpty, list.count <= Self.maxTxids else {
            throw RecordError(field: "txids", "must list 1 to \(Self.maxTxids) txids")
        }
        var seen: Set<SHA256Digest> = []
        var txids: [SHA256Digest] = []
        for (i, item) in list.enumerated() {
            guard let text = item.stringValue, let digest = SHA256Digest(hex: text) else {
                throw RecordError(field: "txids[\(i)]", "must be 64 lowercase hex digits")
            }
            guard seen.insert(digest).inserted else { throw RecordError(field: "txids[\(i)]", "repeated") }
            txids.append(digest)
        }
        self.txids = txids
        reason = try f.string("reason", maxLength: 256)
        note = try f.optionalString("note", maxLength: 1024)
    }

    public var json: JSONValue {
        var m: [String: JSONValue] = ["txids": .array(txids.map { .string($0.hex) }), "reason": .string(reason)]
        if let note { m["note"] = .string(note) }
        return .object(m)
    }
}
