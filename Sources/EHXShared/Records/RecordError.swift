/// Why a record (reading, transaction, block) was refused. The tools prefix
/// it with the file and line, so the message itself names only the field.
public struct RecordError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The reject code; `schema` unless the raising site says otherwise.
    public let reason: RejectReason
    public let field: String?
    public let message: String

    public init(_ reason: RejectReason = .schema, field: String?, _ message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }

    /// A line that does not parse as JSON at all.
    public static func notJSON(_ error: JSONError) -> RecordError {
        RecordError(.json, field: nil, "not JSON: " + error.description)
    }

    /// Re-roots a nested field name ("value" inside "body" becomes "body.value").
    public func nested(in parent: String) -> RecordError {
        RecordError(reason, field: field.map { "\(parent).\($0)" } ?? parent, message)
    }

    public var description: String {
        guard let field else { return message }
        // Field names come from the input (an unknown member's name): escaped.
        return "field \(EchoedText.quoted(field)): \(message)"
    }
}
