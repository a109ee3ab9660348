/// The body of an `erasure` transaction, signed by the authority (man
/// ehx.7, ERASURE AND THE STORE):
///
///     {"blobs":["<64 hex>",…],"request":"…","reason":"…","patient":"<64 hex>"}
///
/// `blobs` are the SHA-256 names of the blobs every store following the
/// chain deletes; `request` says whose request it answers (a reference the
/// authority keeps: a ticket, a letter); `reason` why (e.g. "GDPR Art. 17");
/// `patient`, optional, the pseudonym the blobs belong to. Nothing here
/// names a patient in clear.
public struct ErasureRecord: Sendable, Equatable {
    public static let maxBlobs = 100_000
    public let blobs: [SHA256Digest]
    public let request: String
    public let reason: String
    public let patient: String?

    public init(blobs: [SHA256Digest], request: String, reason: String, patient: String? = nil) {
        self.blobs = blobs
        self.request = request
        self.reason = reason
        self.patient = patient
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["blobs", "request", "reason", "patient"])
        let list = try f.array("blobs")
        guard !list.isEmpty, list.count <= Self.maxBlobs else {
            throw RecordError(field: "blobs", "must list 1 to \(Self.maxBlobs) blob hashes")
        }
        var seen: Set<SHA256Digest> = []
        var blobs: [SHA256Digest] = []
        for (i, item) in list.enumerated() {
            guard let text = item.stringValue, text.utf8.count == 64, text == text.lowercased(), let digest = SHA256Digest(hex: text) else {
                throw RecordError(field: "blobs[\(i)]", "must be a blob's SHA-256: 64 lowercase hex digits")
            }
            guard seen.insert(digest).inserted else { throw RecordError(field: "blobs[\(i)]", "repeated") }
            blobs.append(digest)
        }
        self.blobs = blobs
        request = try Self.text(f, "request")
        reason = try Self.text(f, "reason")
        if f.has("patient") {
            patient = try SealedBody.pseudonym(f, "patient")
        } else {
            patient = nil
        }
    }

    private static func text(_ f: RecordFields, _ key: String) throws(RecordError) -> String {
        let text = try f.string(key, maxLength: 256)
        guard !text.isEmpty, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw RecordError(field: key, "must be 1 to 256 bytes without control characters")
        }
        return text
    }

    public var json: JSONValue {
        var m: [String: JSONValue] = [
            "blobs": .array(blobs.map { .string($0.hex) }),
            "request": .string(request), "reason": .string(reason),
        ]
        if let patient { m["patient"] = .string(patient) }
        return .object(m)
    }
}
