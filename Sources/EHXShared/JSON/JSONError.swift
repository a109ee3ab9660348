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

    public var description: String {
        if let column { return "invalid JSON at column \(column): \(message)" }
        return "invalid JSON: \(message)"
    }
}
