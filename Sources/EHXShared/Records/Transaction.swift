/// A signed transaction: `{"v":1,"type":…,"ts":…,"signer":…,"body":…,"sig":…}`.
/// Everything derived from it (txid, Merkle leaf, signed bytes) is computed
/// over canonical bytes, never over the bytes as they arrived.
public struct Transaction: Sendable {
    public static let version: Int64 = 1
    public static let signatureDomain = Array(UnsafeBufferPointer(start: signatureTag.utf8Start, count: signatureTag.utf8CodeUnitCount))
    /// The same bytes as a static string, for a writer that reads them on
    /// every worker at once without a global array's reference count.
    static var signatureTag: StaticString { "ehx-tx-v1\n" }
    static let fields: Set<String> = ["v", "type", "ts", "signer", "body", "sig"]

    public let type: TxType
    public let ts: Timestamp
    public let signer: Ed25519.PublicKey
    /// The body as read: see `Content`.
    let content: Content
    public let signature: [UInt8]
    /// JCS of the transaction without `sig`: what the txid and signature cover.
    public let unsignedBytes: [UInt8]
    public let txid: SHA256Digest
    /// The whole transaction, `sig` included: exactly its six members, each
    /// with the one spelling its parse accepts, so it is made when asked
    /// rather than kept for every transaction.
    public var object: [String: JSONValue] {
        ["v": .number(Double(Self.version)), "type": .string(type.rawValue), "ts": .string(ts.description),
         "signer": .string(Base64URL.encode(signer.rawRepresentation)), "body": body,
         "sig": .string(Base64URL.encode(signature))]
    }
    /// Where the body's canonical bytes lie in `unsignedBytes`, for the
    /// hash of the body (a reading's key) without serializing it again.
    let bodyRange: Range<Int>

    /// Parses and checks the schema of the envelope and of the body for its
    /// type. The signature is not checked here (see `hasValidSignature`), so
    /// a verifier can batch that work.
    public init(parsing json: JSONValue) throws(RecordError) {
        var leaf: [UInt8]?
        try self.init(parsing: json, leaf: &leaf)
    }

    /// Parses as `init(parsing:)` and returns the Merkle leaf too, both
    /// canonical forms coming from one serialization (ehx-mine needs the
    /// leaf of every transaction it takes).
    public static func parseWithLeaf(_ json: JSONValue) throws(RecordError) -> (transaction: Transaction, leaf: [UInt8]) {
        var leaf: [UInt8]? = []
        let tx = try Transaction(parsing: json, leaf: &leaf)
        return (tx, leaf ?? tx.leaf)
    }

    /// `leaf` nil: compute only the unsigned form; non-nil: set it to the leaf.
    private init(parsing json: JSONValue, leaf: inout [UInt8]?) throws(RecordError) {
        let f = try RecordFields(json, allowed: Self.fields)
        let v = try f.integer("v", in: 0...Int64(Int32.max))
        guard v == Self.version else { throw RecordError(field: "v", "unsupported version \(v) (this ehx knows 1)") }
        let typeName = try f.string("type", maxLength: 32)
        guard let type = TxType(rawValue: typeName) else {
            throw RecordError(field: "type", "unknown type \(EchoedText.quoted(typeName)) (known: \(TxType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.type = type
        ts = try f.timestamp("ts")
        signer = try f.publicKey("signer")
        let body = try f.object("body")
        content = .json(body)
        let bodyBytes: [UInt8]
        do { bodyBytes = try TransactionBody.checkedCanonicalBytes(body, type: type) } catch { throw error.nested(in: "body") }
        signature = try f.bytes("sig", count: 64)
        if let forms = TransactionLayout.forms(f.members, body: bodyBytes) {
            unsignedBytes = forms.unsigned
            if leaf != nil { leaf = forms.full }
            bodyRange = forms.bodyRange
        } else {
            let forms = JSONValue.canonicalObject(f.members, omitting: "sig", locating: "body")
            unsignedBytes = forms.without
            if leaf != nil { leaf = forms.full }
            // "body" is a member (checked above) and not the omitted one.
            bodyRange = forms.locatedValue ?? 0..<0
        }
        txid = SHA256.hash(unsignedBytes)
    }

    /// Builds and signs a transaction; the body is schema-checked first so
    /// that nothing the chain would refuse is ever signed.
    public static func sign(type: TxType, body: JSONValue, ts: Timestamp = .now(), key: Ed25519.PrivateKey) throws -> Transaction {
        try signWithLeaf(type: type, body: body, ts: ts, key: key).transaction
    }

    /// `sign`, returning the Merkle leaf (the line ehx-sign writes) as well.
    /// The unsigned form is written once, the signature made over it and
    /// spliced into the leaf (`TransactionLayout.signed`, ehx-sign's quick
    /// path for readings too). The transaction is built from the checked
    /// parts rather than re-parsed from its own output.
    ///
    /// `signer`, a worker's reusable signing context for `key` (see
    /// `Ed25519Signer`), makes the same signature faster; one for another
    /// key is not used, so the result is always `key`'s signature.
    public static func signWithLeaf(type: TxType, body: JSONValue, ts: Timestamp = .now(),
                                    key: Ed25519.PrivateKey, signer: Ed25519Signer? = nil) throws -> (transaction: Transaction, leaf: [UInt8]) {
        let signer = signer.flatMap { $0.publicKey == key.publicKey ? $0 : nil }
        let bodyBytes: [UInt8]
        do { bodyBytes = try TransactionBody.checkedCanonicalBytes(body, type: type) } catch { throw error.nested(in: "body") }
        // Every body schema is an object; kept as the parse would check it.
        guard body.objectValue != nil else { throw RecordError(field: "body", "expected an object, got \(body.typeName)") }
        // Nothing is signed that the chain could not read back.
        guard ts.readsBack else {
            throw RecordError(field: "ts", "\"\(ts)\" is not an RFC 3339 UTC time with milliseconds")
        }
        let signed = try TransactionLayout.signed(body: bodyBytes, signer: signer?.publicKeyText ?? Base64URL.encode(key.publicKey.rawRepresentation),
                                                  ts: ts, type: type) { message in try signer?.signature(for: message) ?? key.signature(for: message) }
        let unsigned = signed.unsigned
        let tx = Transaction(type: type, ts: ts, signer: key.publicKey, body: body, signature: signed.signature,
                             unsignedBytes: unsigned, txid: SHA256.hash(unsigned), bodyRange: signed.bodyRange)
        return (tx, signed.leaf)
    }

    init(type: TxType, ts: Timestamp, signer: Ed25519.PublicKey, body: JSONValue, signature: [UInt8],
         unsignedBytes: [UInt8], txid: SHA256Digest, bodyRange: Range<Int>) {
        self.init(type: type, ts: ts, signer: signer, content: .json(body), signature: signature,
                  unsignedBytes: unsignedBytes, txid: txid, bodyRange: bodyRange)
    }

    init(type: TxType, ts: Timestamp, signer: Ed25519.PublicKey, content: Content, signature: [UInt8],
         unsignedBytes: [UInt8], txid: SHA256Digest, bodyRange: Range<Int>) {
        self.type = type
        self.ts = ts
        self.signer = signer
        self.content = content
        self.signature = signature
        self.unsignedBytes = unsignedBytes
        self.txid = txid
        self.bodyRange = bodyRange
    }

    /// What the signature covers: the domain tag and the unsigned canonical bytes.
    public var signedMessage: [UInt8] { Self.signatureDomain + unsignedBytes }

    public var hasValidSignature: Bool {
        signer.isValidSignature(signature, for: signedMessage)
    }

    public var json: JSONValue { .object(object) }

    /// The body's canonical bytes, as `body.canonicalBytes()` gives them
    /// (an object's are never empty: an empty range means not located).
    var bodyBytes: ArraySlice<UInt8> { bodyRange.isEmpty ? body.canonicalBytes()[...] : unsignedBytes[bodyRange] }

    /// The RFC 6962 leaf: the canonical form of the whole transaction.
    public var leaf: [UInt8] { json.canonicalBytes() }

    /// The time the transaction speaks about: a reading's or alert's own
    /// `ts` when it has one, otherwise when it was signed.
    public var subjectTime: Timestamp { bodyTime ?? ts }
}
