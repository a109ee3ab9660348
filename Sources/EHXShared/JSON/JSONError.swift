/// A JSON text that ehx will not accept, or a value that has no JSON form.
/// The message is meant for a reject stream, so it names the problem the way
/// an operator reading the line would describe it.
public struct JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    /// 1-based byte position in the input when the parser knows it.
    public let column: Int?

    public init(message: String, column: Int? = nil) {
        self.message = message
        self.column = column
    }

    /// For secret files (PSKs, state): where, never what. jansson's message
    /// quotes the text near the error, which there would be a key.
    public var withoutContext: String {
        if let column { return "invalid JSON at column \(column)" }
        return "invalid JSON"
    }

    public var description: String {
        if let column { return "invalid JSON at column \(column): \(message)" }
        return "invalid JSON: \(message)"
    }
}
