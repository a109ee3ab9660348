/// Why a record (reading, transaction, block) was refused. The tools prefix
/// it with the file and line, so the message itself names only the field.
public struct RecordError: Error, CustomStringConvertible, Sendable, Equatable {
    public let field: String?
    public let message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }

    /// A line that does not parse as JSON at all.
    public static func notJSON(_ error: JSONError) -> RecordError {
        RecordError(field: nil, notJSONPrefix + error.description)
    }

    private static let notJSONPrefix = "not JSON: "

    /// Whether this is `notJSON`'s error (rejects count them as "json").
    public var isNotJSON: Bool { field == nil && message.hasPrefix(Self.notJSONPrefix) }

    /// Re-roots a nested field name ("value" inside "body" becomes "body.value").
    public func nested(in parent: String) -> RecordError {
        RecordError(field: field.map { "\(parent).\($0)" } ?? parent, message)
    }

    public var description: String {
        guard let field else { return message }
        // Field names come from the input (an unknown member's name): escaped.
        return "field \(EchoedText.quoted(field)): \(message)"
    }
}
