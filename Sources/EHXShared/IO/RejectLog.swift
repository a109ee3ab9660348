/// Where refused input goes, the same for every tool: one line on stderr,
/// `FILE:LINE: reason`, and with --rejects one JSON record
/// `{"code","field","file","line","raw","reason"}` (see REJECT RECORDS in
/// ehx(7)), with `entry` (a FHIR Bundle's entry) or `column` (a CSV
/// column) where an import knows more. Counted per code for the summary.
public final class RejectLog {
    /// Why one unit was refused: a stable code, the message and the field.
    public struct Refusal: Sendable, Equatable {
        public let code: String
        public let reason: String
        public let field: String?

        public init(code: RejectReason, reason: String, field: String? = nil) {
            self.init(code: code.rawValue, reason: reason, field: field)
        }

        public init(code: String, reason: String, field: String?) {
            self.code = code
            self.reason = reason
            self.field = field
        }

        /// The code is the error's own (`RejectReason.code(of:)`).
        public init(_ error: any Error) {
            self.init(code: RejectReason.code(of: error), reason: String(describing: error), field: (error as? RecordError)?.field)
        }

        public static func tooLong(_ count: Int, limit: Int) -> Refusal {
            Refusal(code: .tooLong, reason: "line too long (\(count) bytes; the limit is \(limit))")
        }
    }

    public let file: String
    private let writer: LineWriter?
    private let diagnostics: Diagnostics
    public private(set) var total = 0
    public private(set) var byCode: [String: Int] = [:]
    /// Input kept in a reject record, enough to reprocess a reading by hand.
    static let maxEchoedBytes = 64 << 10

    public init(path: String?, file: String, diagnostics: Diagnostics) throws(ToolError) {
        writer = try path.map { p throws(ToolError) in try LineWriter(path: p) }
        self.file = file
        self.diagnostics = diagnostics
    }

    public func reject(line: Int, raw: [UInt8], _ refusal: Refusal, context: [String: JSONValue] = [:]) throws(ToolError) {
        total += 1
        byCode[refusal.code, default: 0] += 1
        diagnostics.error("\(file):\(line): \(refusal.reason)")
        guard let writer else { return }
        var record = context
        record["file"] = .string(file)
        record["line"] = .number(Double(line))
        record["code"] = .string(refusal.code)
        record["reason"] = .string(refusal.reason)
        if let field = refusal.field { record["field"] = .string(field) }
        if raw.count <= Self.maxEchoedBytes, let text = String(validating: raw, as: UTF8.self) {
            record["raw"] = .string(text)
        } else {
            record["raw_bytes"] = .number(Double(raw.count))
        }
        try writer.write(.object(record))
    }

    public func reject(line: Int, raw: [UInt8], error: any Error, context: [String: JSONValue] = [:]) throws(ToolError) {
        try reject(line: line, raw: raw, Refusal(error), context: context)
    }

    /// "replay: 3, mac: 1": the codes by count, most first.
    public var countsByCode: String {
        byCode.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// Handed to the kernel, for a reader while the input is quiet.
    public func flush() throws(ToolError) { try writer?.flush() }
    /// Flushed and fsynced: before a state checkpoint, and at the end.
    public func close() throws(ToolError) { try writer?.close() }
}
