/// A member of a parsed object as record checks read it: a `JSONValue`, or
/// a `JSONNode` still inside jansson's tree. Checks written once against
/// this read either, so the gateway's hot path (nodes, nothing copied) and
/// every other parser (values) refuse the same input with the same words.
protocol JSONMember {
    var typeName: String { get }
    var numberValue: Double? { get }
    /// A string's UTF-8 bytes lent to `body`; nil when the member is no string.
    func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R?
    /// The member as a `JSONValue`, for what is kept as JSON (a reading's value).
    func jsonValue() throws(JSONError) -> JSONValue
}

extension JSONValue: JSONMember {
    func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard case .string(var text) = self else { return nil }
        return text.withUTF8(body)
    }

    func jsonValue() -> JSONValue { self }
}

extension JSONNode: JSONMember {
    var numberValue: Double? { number }

    func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        stringBytes.map(body)
    }

    func jsonValue() throws(JSONError) -> JSONValue { try value() }
}
