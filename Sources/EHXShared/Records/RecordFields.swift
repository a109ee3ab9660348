/// Typed access to the members of a record object, throwing a RecordError that
/// names the field. Every record parser goes through these so messages have
/// one shape across the tools.
public struct RecordFields: Sendable {
    public let members: [String: JSONValue]

    public init(_ value: JSONValue, allowed: Set<String>) throws(RecordError) {
        guard let members = value.objectValue else {
            throw RecordError(field: nil, "expected a JSON object, got \(value.typeName)")
        }
        // Unknown members are refused rather than carried: a signed record
        // must mean exactly what the format says and nothing a reader ignores.
        for key in members.keys where !allowed.contains(key) {
            // The first in order, whatever order the dictionary holds them in.
            let extra = members.keys.filter({ !allowed.contains($0) }).sorted().first ?? key
            throw RecordError(field: extra, "unknown field")
        }
        self.members = members
    }

    public func has(_ key: String) -> Bool { members[key] != nil }

    public func value(_ key: String) throws(RecordError) -> JSONValue {
        try Self.present(members[key], key)
    }

    /// `value(key)` for a member the caller already looked up (nil: absent).
    static func present<M: JSONMember>(_ v: M?, _ key: String) throws(RecordError) -> JSONValue {
        guard let v else { throw RecordError(field: key, "missing") }
        do { return try v.jsonValue() } catch { throw RecordError(field: key, error.message) }
    }

    public func string(_ key: String, maxLength: Int = 256) throws(RecordError) -> String {
        try Self.string(members[key], key, maxLength: maxLength)
    }

    /// `string(key)` for a member the caller already looked up (nil: absent).
    static func string<M: JSONMember>(_ member: M?, _ key: String, maxLength: Int = 256) throws(RecordError) -> String {
        try withText(member, key, maxLength: maxLength) { String(decoding: $0, as: UTF8.self) }
    }

    /// Checks a string member as `string` does and lends `body` its UTF-8
    /// bytes, for a field read without making a String of it.
    static func withText<M: JSONMember, R>(_ member: M?, _ key: String, maxLength: Int,
                                           _ body: (UnsafeBufferPointer<UInt8>) throws(RecordError) -> R) throws(RecordError) -> R {
        guard let member else { throw RecordError(field: key, "missing") }
        let checked = member.withUTF8 { bytes in
            Result { () throws(RecordError) -> R in
                guard !bytes.isEmpty else { throw RecordError(field: key, "must not be empty") }
                guard bytes.count <= maxLength else { throw RecordError(field: key, "longer than \(maxLength) bytes") }
                // Control characters are ASCII, and ASCII bytes in UTF-8 are
                // only ever those characters, so the bytes tell without
                // decoding scalars.
                guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
                    throw RecordError(field: key, "contains control characters")
                }
                return try body(bytes)
            }
        }
        guard let checked else { throw RecordError(field: key, "expected a string, got \(member.typeName)") }
        return try checked.get()
    }

    public func optionalString(_ key: String, maxLength: Int = 256) throws(RecordError) -> String? {
        has(key) ? try string(key, maxLength: maxLength) : nil
    }

    public func integer(_ key: String, in range: ClosedRange<Int64>) throws(RecordError) -> Int64 {
        try Self.integer(members[key], key, in: range)
    }

    static func integer<M: JSONMember>(_ member: M?, _ key: String, in range: ClosedRange<Int64>) throws(RecordError) -> Int64 {
        guard let member else { throw RecordError(field: key, "missing") }
        guard let n = member.numberValue else { throw RecordError(field: key, "expected a number, got \(member.typeName)") }
        guard let i = JSONValue.number(n).integerValue else { throw RecordError(field: key, "expected an integer, got \(JCS.serialize(number: n))") }
        guard range.contains(i) else {
            throw RecordError(field: key, "\(i) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    public func number(_ key: String) throws(RecordError) -> Double {
        let v = try value(key)
        guard let n = v.numberValue else { throw RecordError(field: key, "expected a number, got \(v.typeName)") }
        return n
    }

    public func timestamp(_ key: String) throws(RecordError) -> Timestamp {
        try Self.timestamp(members[key], key)
    }

    static func timestamp<M: JSONMember>(_ member: M?, _ key: String) throws(RecordError) -> Timestamp {
        try withTimestamp(member, key) { t, _ in t }
    }

    /// `timestamp`, lending `body` the text too (a record that writes it
    /// back out copies the bytes instead of spelling the time again).
    static func withTimestamp<M: JSONMember, R>(_ member: M?, _ key: String,
                                                _ body: (Timestamp, UnsafeBufferPointer<UInt8>) -> R) throws(RecordError) -> R {
        try withText(member, key, maxLength: 64) { bytes throws(RecordError) in
            guard let t = Timestamp(rfc3339: bytes) else {
                throw RecordError(field: key, "\"\(String(decoding: bytes, as: UTF8.self))\" is not an RFC 3339 UTC time with milliseconds (2026-11-26T10:00:00.000Z)")
            }
            return body(t, bytes)
        }
    }

    public func bytes(_ key: String, count: Int? = nil) throws(RecordError) -> [UInt8] {
        // Decoded from the member's bytes, as `string` checks them, without making a String.
        let decoded = try Self.withText(members[key], key, maxLength: 1 << 20) { Base64URL.decode($0) }
        guard let bytes = decoded else { throw RecordError(field: key, "not unpadded base64url") }
        if let count, bytes.count != count {
            throw RecordError(field: key, "must decode to \(count) bytes, got \(bytes.count)")
        }
        return bytes
    }

    public func publicKey(_ key: String) throws(RecordError) -> Ed25519.PublicKey {
        let raw = try bytes(key, count: 32)
        do { return try Ed25519.PublicKey(rawRepresentation: raw) } catch {
            throw RecordError(field: key, "not an Ed25519 public key")
        }
    }

    public func object(_ key: String) throws(RecordError) -> JSONValue {
        let v = try value(key)
        guard v.objectValue != nil else { throw RecordError(field: key, "expected an object, got \(v.typeName)") }
        return v
    }

    public func array(_ key: String) throws(RecordError) -> [JSONValue] {
        try Self.array(members[key], key)
    }

    static func array<M: JSONMember>(_ member: M?, _ key: String) throws(RecordError) -> [JSONValue] {
        let v = try present(member, key)
        guard let a = v.arrayValue else { throw RecordError(field: key, "expected an array, got \(v.typeName)") }
        return a
    }
}
