/// One unit of ehx-ingest's input: a line (JSON lines, CSV) or a whole
/// document's entry (a pretty-printed FHIR resource or Bundle), with the
/// readings in it, each put through the gate's stateless `prepare` (or the
/// reason it gives none).
public struct InputUnit: Sendable {
    public typealias Record = Result<ReadingGate.Prepared, RecordError>

    public enum Records: Sendable {
        /// A JSON line: one reading, kept without an array per line.
        case one(Record)
        case many([Record])
        /// The unit as a whole (a CSV row, a FHIR resource) is refused.
        case refused(RecordError)
    }

    public let line: Int
    public let raw: [UInt8]
    public let records: Records
    /// What a reject of this unit names besides file and line: a Bundle's
    /// `entry`, a CSV row's `column` (per reading, in `.many`'s order).
    public let context: [String: JSONValue]
    let columns: [String?]

    init(line: Int, raw: [UInt8], records: Records, context: [String: JSONValue] = [:], columns: [String?] = []) {
        self.line = line
        self.raw = raw
        self.records = records
        self.context = context
        self.columns = columns
    }

    /// An import's unit: the readings it gave, each through `prepare`.
    init(line: Int, raw: [UInt8], readings: Result<[JSONValue], RecordError>, prepare: (JSONValue) -> Record,
         context: [String: JSONValue] = [:], columns: [String?] = []) {
        switch readings {
        case let .success(list): self.init(line: line, raw: raw, records: .many(list.map(prepare)), context: context, columns: columns)
        case let .failure(error): self.init(line: line, raw: raw, records: .refused(error), context: context, columns: columns)
        }
    }

    /// The context of a reject of the unit's `index`th reading (nil: the unit as a whole).
    public func context(reading index: Int?) -> [String: JSONValue] {
        guard let index, index < columns.count, let column = columns[index] else { return context }
        var c = context
        c["column"] = .string(column)
        return c
    }
}
