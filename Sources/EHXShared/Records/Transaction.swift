/// A signed transaction: `{"v":1,"type":…,"ts":…,"signer":…,"body":…,"sig":…}`.
/// Everything derived from it (txid, Merkle leaf, signed bytes) is computed
/// over canonical bytes, never over the bytes as they arrived.
public struct Transaction: Sendable {
    public static let version: Int64 = 1
    public static let signatureDomain = Array("ehx-tx-v1\n".utf8)
    static let fields: Set<String> = ["v", "type", "ts", "signer", "body", "sig"]

    public let type: TxType
    public let ts: Timestamp
    public let signer: Ed25519.PublicKey
    public let body: JSONValue
    public let signature: [UInt8]
    /// JCS of the transaction without `sig`: what the txid and signature cover.
    public let unsignedBytes: [UInt8]
    public let txid: SHA256Digest
    /// The whole transaction as parsed, `sig` included.
    public let object: [String: JSONValue]

    /// Parses and checks the schema of the envelope and of the body for its
    /// type. The signature is not checked here (see `hasValidSignature`), so
    /// a verifier can batch that work.
    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: Self.fields)
        let v = try f.integer("v", in: 0...Int64(Int32.max))
        guard v == Self.version else { throw RecordError(field: "v", "unsupported version \(v) (this ehx knows 1)") }
        let typeName = try f.string("type", maxLength: 32)
        guard let type = TxType(rawValue: typeName) else {
            throw RecordError(field: "type", "unknown type \"\(typeName)\" (known: \(TxType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.type = type
        ts = try f.timestamp("ts")
        signer = try f.publicKey("signer")
        body = try f.object("body")
        do { try TransactionBody.check(body, type: type) } catch { throw error.nested(in: "body") }
        signature = try f.bytes("sig", count: 64)
        var unsigned = f.members
        unsigned["sig"] = nil
        unsignedBytes = JSONValue.object(unsigned).canonicalBytes()
        txid = SHA256.hash(unsignedBytes)
        object = f.members
    }

    /// Builds and signs a transaction; the body is schema-checked first so
    /// that nothing the chain would refuse is ever signed.
    public static func sign(type: TxType, body: JSONValue, ts: Timestamp = .now(), key: Ed25519.PrivateKey) throws -> Transaction {
        do { try TransactionBody.check(body, type: type) } catch { throw error.nested(in: "body") }
        let unsigned: [String: JSONValue] = [
            "v": .number(Double(version)),
            "type": .string(type.rawValue),
            "ts": .string(ts.description),
            "signer": .string(Base64URL.encode(key.publicKey.rawRepresentation)),
            "body": body,
        ]
        let message = signatureDomain + JSONValue.object(unsigned).canonicalBytes()
        var signed = unsigned
        signed["sig"] = .string(Base64URL.encode(try key.signature(for: message)))
        return try Transaction(parsing: .object(signed))
    }

    public var hasValidSignature: Bool {
        signer.isValidSignature(signature, for: Self.signatureDomain + unsignedBytes)
    }

    public var json: JSONValue { .object(object) }

    /// The RFC 6962 leaf: the canonical form of the whole transaction.
    public var leaf: [UInt8] { json.canonicalBytes() }

    /// The time the transaction speaks about: a reading's or alert's own
    /// `ts` when it has one, otherwise when it was signed.
    public var subjectTime: Timestamp {
        if let s = body["ts"]?.stringValue, let t = Timestamp(rfc3339: s) { return t }
        return ts
    }
}
