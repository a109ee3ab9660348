import CJansson

extension JSONValue {
    /// JSON_DECODE_INT_AS_REAL gives every number the RFC 8785 double model;
    /// JSON_REJECT_DUPLICATES because a signed record with two values for one
    /// name means different things to different readers.
    static let decodeFlags =
        Int(JSON_DECODE_ANY) | Int(JSON_REJECT_DUPLICATES) | Int(JSON_DECODE_INT_AS_REAL) | Int(JSON_ALLOW_NUL)

    /// `integersAsIntegers`: jansson tries integers as integers first
    /// (`withParsed(integersAsIntegers:)`), for the same value and the
    /// same refusals without strtod for every integer.
    public static func parse(_ bytes: UnsafeRawBufferPointer, integersAsIntegers: Bool = false) throws(JSONError) -> JSONValue {
        try withParsed(bytes, integersAsIntegers: integersAsIntegers) { root in Result { () throws(JSONError) in try root.value() } }.get()
    }

    public static func parse(_ bytes: [UInt8], integersAsIntegers: Bool = false) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONError) in try parse(buffer, integersAsIntegers: integersAsIntegers) }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }

    /// Recursion depth is bounded by jansson's own nesting limit (2048).
    static func convert(_ node: UnsafeMutablePointer<json_t>) throws(JSONError) -> JSONValue {
        switch json_type(rawValue: UInt32(bitPattern: ehx_json_typeof(node))) {
        case JSON_NULL:
            return .null
        case JSON_TRUE:
            return .bool(true)
        case JSON_FALSE:
            return .bool(false)
        case JSON_REAL:
            let value = json_real_value(node)
            // jansson already refuses overflow; this keeps the guarantee local.
            guard value.isFinite else { throw JSONError(message: "number out of range", column: nil) }
            return .number(value)
        case JSON_INTEGER:
            // Only from withParsed(integersAsIntegers:); the same double
            // strtod gives.
            return .number(Double(json_integer_value(node)))
        case JSON_STRING:
            return .string(string(json_string_value(node), json_string_length(node)))
        case JSON_ARRAY:
            let count = json_array_size(node)
            var elements: [JSONValue] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                guard let element = json_array_get(node, index) else { break }
                elements.append(try convert(element))
            }
            return .array(elements)
        case JSON_OBJECT:
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(json_object_size(node))
            var iter = json_object_iter(node)
            while let current = iter {
                let key = string(json_object_iter_key(current), json_object_iter_key_len(current))
                guard let child = json_object_iter_value(current) else { break }
                // Swift String equality is canonical equivalence, so names
                // jansson sees as distinct bytes ("\u00e9" vs "e\u0301") can
                // collide here; refusing beats silently dropping a member.
                if members.updateValue(try convert(child), forKey: key) != nil {
                    throw JSONError(message: "duplicate object key \"\(key)\" (Unicode-equivalent names)", column: nil)
                }
                iter = json_object_iter_next(node, current)
            }
            return .object(members)
        default:
            throw JSONError(message: "unsupported JSON value type", column: nil)
        }
    }

    /// jansson has validated the bytes as UTF-8, so decoding repairs nothing;
    /// an explicit length keeps embedded NULs.
    static func string(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}

extension JSONError {
    init(jansson error: json_error_t) {
        var copy = error
        let text = withUnsafeBytes(of: &copy.text) { raw -> String in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
        self.init(message: JSONError.readable(text), column: error.position > 0 ? Int(error.position) : nil)
    }

    /// jansson speaks of files; ehx parses lines and buffers.
    private static func readable(_ text: String) -> String {
        var message = text.isEmpty ? "malformed JSON" : text
        if message.hasSuffix("near end of file") {
            message = String(message.dropLast("near end of file".count)) + "at end of input"
        }
        if message.hasPrefix("real number overflow") {
            message = "number too large for a double" + message.dropFirst("real number overflow".count)
        }
        if message.hasPrefix("end of file expected") {
            message = "trailing data after the JSON value" + message.dropFirst("end of file expected".count)
        }
        return message
    }
}
