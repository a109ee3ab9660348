import EHXShared

/// One step into a JSON value: a member name or an array index.
enum JSONPathItem: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)

    init(stringLiteral value: String) { self = .key(value) }
    init(integerLiteral value: Int) { self = .index(value) }
}

extension JSONValue {
    func value(at path: [JSONPathItem]) -> JSONValue? {
        guard let first = path.first else { return self }
        switch (first, self) {
        case let (.key(k), .object(m)): return m[k]?.value(at: Array(path.dropFirst()))
        case let (.index(i), .array(a)) where a.indices.contains(i): return a[i].value(at: Array(path.dropFirst()))
        default: return nil
        }
    }

    /// A copy with the value at `path` replaced (nil: member removed).
    func setting(_ path: [JSONPathItem], to newValue: JSONValue?) -> JSONValue {
        guard let first = path.first else { return newValue ?? .null }
        let rest = Array(path.dropFirst())
        switch (first, self) {
        case let (.key(k), .object(m)):
            var m = m
            if rest.isEmpty { m[k] = newValue } else { m[k] = (m[k] ?? .null).setting(rest, to: newValue) }
            return .object(m)
        case let (.index(i), .array(a)) where a.indices.contains(i):
            var a = a
            a[i] = a[i].setting(rest, to: newValue)
            return .array(a)
        default:
            return self
        }
    }
}

enum ChainLine {
    /// A block line parsed with EHXShared's JSON (to re-emit it canonically).
    static func parse(_ bytes: [UInt8]) throws -> JSONValue { try JSONValue.parse(bytes) }

    /// The canonical (RFC 8785) line of an edited block, so the edit is
    /// caught by the rule it breaks and not merely as "not canonical".
    static func canonical(_ value: JSONValue) -> [UInt8] { value.canonicalBytes() }
}
