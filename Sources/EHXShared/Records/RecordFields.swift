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
    static func present(_ v: JSONValue?, _ key: String) throws(RecordError) -> JSONValue {
        guard let v else { throw RecordError(field: key, "missing") }
        return v
    }

    public func string(_ key: String, maxLength: Int = 256) throws(RecordError) -> String {
        try Self.string(members[key], key, maxLength: maxLength)
    }

    /// `string(key)` for a member the caller already looked up (nil: absent).
    static func string(_ member: JSONValue?, _ key: String, maxLength: Int = 256) throws(RecordError) -> String {
        let v = try present(member, key)
        guard let s = v.stringValue else { throw RecordError(field: key, "expected a string, got \(v.typeName)") }
        guard !s.isEmpty else { throw RecordError(field: key, "must not be empty") }
        guard s.utf8.count <= maxLength else { throw RecordError(field: key, "longer than \(maxLength) bytes") }
        // Control characters are ASCII, and ASCII bytes in UTF-8 are only ever
        // those characters, so the bytes tell without decoding scalars.
        guard !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw RecordError(field: key, "contains control characters")
        }
        return s
    }

    public func optionalString(_ key: String, maxLength: Int = 256) throws(RecordError) -> String? {
        has(key) ? try string(key, maxLength: maxLength) : nil
    }

    public func integer(_ key: String, in range: ClosedRange<Int64>) throws(RecordError) -> Int64 {
        try Self.integer(members[key], key, in: range)
    }

    static func integer(_ member: JSONValue?, _ key: String, in range: ClosedRange<Int64>) throws(RecordError) -> Int64 {
        let v = try present(member, key)
        guard let n = v.numberValue else { throw RecordError(field: key, "expected a number, got \(v.typeName)") }
        guard let i = v.integerValue else { throw RecordError(field: key, "expected an integer, got \(JCS.serialize(number: n))") }
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

    static func timestamp(_ member: JSONValue?, _ key: String) throws(RecordError) -> Timestamp {
        let s = try string(member, key, maxLength: 64)
        guard let t = Timestamp(rfc3339: s) else {
            throw RecordError(field: key, "\"\(s)\" is not an RFC 3339 UTC time with milliseconds (2026-11-26T10:00:00.000Z)")
        }
        return t
    }

    public func bytes(_ key: String, count: Int? = nil) throws(RecordError) -> [UInt8] {
        let s = try string(key, maxLength: 1 << 20)
        guard let bytes = Base64URL.decode(s) else { throw RecordError(field: key, "not unpadded base64url") }
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

    static func array(_ member: JSONValue?, _ key: String) throws(RecordError) -> [JSONValue] {
        let v = try present(member, key)
        guard let a = v.arrayValue else { throw RecordError(field: key, "expected an array, got \(v.typeName)") }
        return a
    }
}
