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
        if let extra = members.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw RecordError(field: extra, "unknown field")
        }
        self.members = members
    }

    public func has(_ key: String) -> Bool { members[key] != nil }

    public func value(_ key: String) throws(RecordError) -> JSONValue {
        guard let v = members[key] else { throw RecordError(field: key, "missing") }
        return v
    }

    public func string(_ key: String, maxLength: Int = 256) throws(RecordError) -> String {
        let v = try value(key)
        guard let s = v.stringValue else { throw RecordError(field: key, "expected a string, got \(v.typeName)") }
        guard !s.isEmpty else { throw RecordError(field: key, "must not be empty") }
        guard s.utf8.count <= maxLength else { throw RecordError(field: key, "longer than \(maxLength) bytes") }
        guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw RecordError(field: key, "contains control characters")
        }
        return s
    }

    public func optionalString(_ key: String, maxLength: Int = 256) throws(RecordError) -> String? {
        has(key) ? try string(key, maxLength: maxLength) : nil
    }

    public func integer(_ key: String, in range: ClosedRange<Int64>) throws(RecordError) -> Int64 {
        let v = try value(key)
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
        let s = try string(key, maxLength: 64)
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
        let v = try value(key)
        guard let a = v.arrayValue else { throw RecordError(field: key, "expected an array, got \(v.typeName)") }
        return a
    }
}
