/// A parsed JSON value in the I-JSON model that RFC 8785 assumes: every
/// number is an IEEE-754 double, and object member order carries no meaning
/// (canonical output sorts members).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The checked way to build a number: JSON has no NaN or infinity, so a
    /// value holding one could not be canonicalized or signed.
    public init(number: Double) throws(JSONError) {
        guard number.isFinite else {
            throw JSONError(message: "number \(number) has no JSON form")
        }
        self = .number(number)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Limited to 2^53 because beyond it doubles skip integers, so a larger
    /// value may not be the integer the writer meant (seq, time, sizes).
    public var integerValue: Int64? {
        guard case .number(let n) = self, n.isFinite, n.rounded(.towardZero) == n,
              n.magnitude <= 9_007_199_254_740_992 else { return nil }
        return Int64(n)
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }

    /// Last one wins on a repeated key rather than trapping: a literal is
    /// source code, and a crash there would be worse than the obvious result.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
