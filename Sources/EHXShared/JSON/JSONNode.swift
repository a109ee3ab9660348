import CJansson

/// A value in a parsed jansson tree, read where it lies: a record parser
/// that needs a few typed members (a sensor reading on the gateway's hot
/// path) takes them without first building a `JSONValue` dictionary.
///
/// A node borrows the tree that `JSONValue.withParsed` owns and is valid
/// only inside that call's body; it is internal so that rule stays within
/// this module.
struct JSONNode {
    private let node: UnsafeMutablePointer<json_t>

    fileprivate init(_ node: UnsafeMutablePointer<json_t>) { self.node = node }

    private var type: json_type { json_type(rawValue: UInt32(bitPattern: ehx_json_typeof(node))) }

    var isObject: Bool { type == JSON_OBJECT }

    var typeName: String {
        switch type {
        case JSON_NULL: "null"
        case JSON_TRUE, JSON_FALSE: "boolean"
        case JSON_REAL, JSON_INTEGER: "number"
        case JSON_STRING: "string"
        case JSON_ARRAY: "array"
        default: "object"
        }
    }

    /// A string's UTF-8 bytes (jansson validated them), without copying.
    var stringBytes: UnsafeBufferPointer<UInt8>? {
        guard type == JSON_STRING, let text = json_string_value(node) else { return nil }
        return UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self),
                                   count: json_string_length(node))
    }

    /// A number's value (jansson reads every number as a double here).
    var number: Double? {
        switch type {
        case JSON_REAL: json_real_value(node)
        case JSON_INTEGER: Double(json_integer_value(node))
        default: nil
        }
    }

    /// The value as a `JSONValue`, exactly as `JSONValue.parse` gives it.
    func value() throws(JSONError) -> JSONValue { try JSONValue.convert(node) }

    /// Each member of an object in jansson's order; nothing for other types.
    func forEachMember<E: Error>(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: JSONNode) throws(E) -> Void) throws(E) {
        guard type == JSON_OBJECT else { return }
        var iter = json_object_iter(node)
        while let current = iter {
            guard let key = json_object_iter_key(current), let child = json_object_iter_value(current) else { break }
            let name = UnsafeBufferPointer(start: UnsafeRawPointer(key).assumingMemoryBound(to: UInt8.self),
                                           count: json_object_iter_key_len(current))
            try body(name, JSONNode(child))
            iter = json_object_iter_next(node, current)
        }
    }
}

extension JSONValue {
    /// Parses `bytes` as `parse` does and lends `body` the root node; the
    /// tree is freed when `body` returns.
    ///
    /// `integersAsIntegers` first tries jansson with integers read as
    /// integers and no error record (no strtod or locale lookup per number):
    /// for every integer jansson accepts, the node's double is the one
    /// strtod gives, except that -0 reads as 0, which RFC 8785 writes the
    /// same. Whatever that refuses (a syntax error, an integer past 64 bits)
    /// is parsed again exactly as `parse` does, for its value or its message.
    static func withParsed<R>(_ bytes: UnsafeRawBufferPointer, integersAsIntegers: Bool = false,
                              _ body: (JSONNode) -> R) throws(JSONError) -> R {
        if integersAsIntegers, let result = withParsedIfValid(bytes, body) { return result }
        // An empty buffer may have no base address, and jansson's message for
        // it ("near end of file") reads as if something was cut off.
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONError(message: "empty input", column: nil)
        }
        var error = json_error_t()
        guard let root = json_loadb(base.assumingMemoryBound(to: CChar.self), bytes.count, decodeFlags, &error) else {
            throw JSONError(jansson: error)
        }
        defer { ehx_json_decref(root) }
        return body(JSONNode(root))
    }

    /// `withParsed`'s first attempt alone (integers read as integers, no
    /// error record): nil when jansson refuses the text, for a caller that
    /// has another way to read it.
    ///
    /// `canonicalOnly`: the caller takes the text only if it is the
    /// canonical form of what it parses to, which holds each name of an
    /// object once; a text with a repeated name never is, so jansson's
    /// second lookup per name that refuses repeats is skipped.
    static func withParsedIfValid<R>(_ bytes: UnsafeRawBufferPointer, canonicalOnly: Bool = false,
                                     _ body: (JSONNode) -> R) -> R? {
        var flags = decodeFlags & ~Int(JSON_DECODE_INT_AS_REAL)
        if canonicalOnly { flags &= ~Int(JSON_REJECT_DUPLICATES) }
        guard let base = bytes.baseAddress, bytes.count > 0,
              let root = json_loadb(base.assumingMemoryBound(to: CChar.self), bytes.count, flags, nil)
        else { return nil }
        defer { ehx_json_decref(root) }
        return body(JSONNode(root))
    }
}
