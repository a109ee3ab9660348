import EHXShared

/// One unit of input: a line (JSON lines, CSV) or a whole document's entry
/// (a pretty-printed FHIR resource or Bundle), with the readings in it, each
/// put through the stateless `prepare` (or the reason it gives none).
struct InputUnit: Sendable {
    typealias Record = Result<ReadingGate.Prepared, RecordError>

    enum Records: Sendable {
        /// A JSON line: one reading, kept without an array per line.
        case one(Record)
        case many([Record])
        /// The unit as a whole (a CSV row, a FHIR resource) is refused.
        case refused(RecordError)
    }

    let line: Int
    let raw: [UInt8]
    let records: Records
    /// What a reject of this unit names besides file and line: a Bundle's
    /// `entry`, a CSV row's `column` (per reading, in `.many`'s order).
    let context: [String: JSONValue]
    let columns: [String?]

    init(line: Int, raw: [UInt8], records: Records, context: [String: JSONValue] = [:], columns: [String?] = []) {
        self.line = line
        self.raw = raw
        self.records = records
        self.context = context
        self.columns = columns
    }

    /// An import's unit: the readings it gave, each through `prepare`.
    init(line: Int, raw: [UInt8], readings: Result<[JSONValue], RecordError>, prepare: PrepareReading,
         context: [String: JSONValue] = [:], columns: [String?] = []) {
        switch readings {
        case let .success(list): self.init(line: line, raw: raw, records: .many(list.map(prepare)), context: context, columns: columns)
        case let .failure(error): self.init(line: line, raw: raw, records: .refused(error), context: context, columns: columns)
        }
    }

    /// The context of a reject of the unit's `index`th reading (nil: the unit as a whole).
    func context(reading index: Int?) -> [String: JSONValue] {
        guard let index, index < columns.count, let column = columns[index] else { return context }
        var c = context
        c["column"] = .string(column)
        return c
    }
}

/// The stateless per-reading step (schema, MAC, canonical form) for a
/// reading an import (FHIR, CSV) has built.
typealias PrepareReading = (JSONValue) -> Result<ReadingGate.Prepared, RecordError>

final class InputSource {
    let name: String
    private let reader: LineReader
    private let format: Ingest.Format
    private let device: String?
    private let patient: String?
    private let overrides: [String: CSVReadings.Role]
    private let diagnostics: Diagnostics
    private(set) var units = 0
    private(set) var skipped = 0
    static let maxLineBytes = 1 << 20
    static let maxDocumentBytes = 64 << 20

    init(path: String, format: Ingest.Format, device: String?, patient: String?, columns: [String], diagnostics: Diagnostics) throws(ToolError) {
        reader = try LineReader(path: path)
        name = reader.name
        self.format = format
        self.device = device
        self.patient = patient
        var o: [String: CSVReadings.Role] = [:]
        for c in columns {
            let parts = c.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, let role = CSVReadings.Role(name: parts[1]) { o[parts[0]] = role }
        }
        overrides = o
        self.diagnostics = diagnostics
    }

    /// Calls `body` for every unit in input order, each reading put through
    /// `gate.prepare` (MACs checked for JSON lines; imports carry none).
    /// For JSON lines, parsing and `prepare` run on `threads` threads a
    /// batch at a time (the gate must be made for that many workers);
    /// `body` (the ordered, stateful part) always runs on this thread.
    /// `idle` runs before every read that may wait for input, so what has
    /// been written can be flushed for a reader downstream first. `fresh`
    /// runs after each batch of JSON lines is read and before it is staged;
    /// a gate it returns (the PSK file was read again) judges that batch on.
    func forEach(threads: Int, gate: ReadingGate, idle: () throws(ToolError) -> Void,
                 fresh: () throws(ToolError) -> ReadingGate? = { nil },
                 _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        let imported: PrepareReading = { json in
            do throws(RecordError) { return .success(try gate.prepare(json, authenticated: false)) } catch { return .failure(error) }
        }
        switch format {
        case .jsonl: try jsonLines(threads: threads, gate: gate, idle: idle, fresh: fresh, body)
        case .csv: try csv(prepare: imported, body)
        case .fhir: try fhir(prepare: imported, body)
        }
    }

    /// Next non-blank line without its CR, or nil at end.
    struct Line { let number: Int; let bytes: [UInt8] }

    private func nextLine() throws(ToolError) -> Line? {
        while let line = try reader.next() {
            guard let bytes = Self.content(line.bytes) else { continue }
            return Line(number: line.number, bytes: bytes)
        }
        return nil
    }

    /// A line as it is judged: without the CR of a CRLF file; nil when blank.
    static func content(_ bytes: [UInt8]) -> [UInt8]? {
        var bytes = bytes
        if bytes.last == 0x0d { bytes.removeLast() }
        return bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) ? nil : bytes
    }

    /// Why a line is refused unread, when it is longer than a record may be.
    static func tooLong(_ bytes: [UInt8]) -> RecordError? {
        bytes.count > maxLineBytes ? RecordError(.tooLong, field: nil, "line too long (\(bytes.count) bytes; the limit is \(maxLineBytes))") : nil
    }

    static func parse(_ bytes: [UInt8]) -> Result<JSONValue, RecordError> {
        if let error = tooLong(bytes) { return .failure(error) }
        do { return .success(try JSONValue.parse(bytes)) } catch {
            return .failure(.notJSON(error))
        }
    }

    private func jsonLines(threads: Int, gate initialGate: ReadingGate, idle: () throws(ToolError) -> Void,
                           fresh: () throws(ToolError) -> ReadingGate?,
                           _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        var gate = initialGate
        func staging(_ gate: ReadingGate) -> @Sendable (Int, LineReader.Line) -> InputUnit? {
            { worker, line in Self.stage(line, gate: gate, worker: worker) }
        }
        var stage = staging(gate)
        func read(waiting: Bool) throws(ToolError) -> [LineReader.Line] {
            if waiting { try idle() }
            let batch = try reader.nextBatch(maxLines: RecordPipeline.defaultBatchLines, maxBytes: 16 << 20, waiting: waiting)
            if !batch.isEmpty, let reloaded = try fresh() {
                gate = reloaded
                stage = staging(reloaded)
            }
            return batch
        }
        // A reading's canonical bytes, when they are not the line itself,
        // were made on a worker; freeing them here while the workers
        // allocate contends for glibc's arena lock. They are kept until
        // the workers are idle between batches, and freed then.
        var written: [[UInt8]] = []
        func handle(_ staged: consuming [InputUnit?]) throws(ToolError) {
            // Each unit is moved out, not copied: no reference count is
            // touched twice for a reading that crossed threads.
            var staged = staged
            for i in staged.indices {
                guard let unit = staged[i].take() else { continue }
                units += 1
                try body(unit)
                if case let .one(.success(prepared)) = unit.records, !prepared.canonical.sharesStorage(with: unit.raw) {
                    written.append(prepared.canonical)
                }
            }
        }
        guard threads > 1 else {
            // One thread: each line straight through, no batch of results.
            while case let batch = try read(waiting: true), !batch.isEmpty {
                for line in batch {
                    guard let unit = Self.stage(line, gate: gate, worker: 0) else { continue }
                    units += 1
                    try body(unit)
                }
            }
            return
        }
        // The workers stage the next batch while this thread writes out the
        // one before. Only input already there is read ahead: a live stream
        // (a FIFO, tail -f) must not hold back the lines it has sent.
        var pending: ParallelStage.Pending<InputUnit?>?
        while true {
            let batch = try read(waiting: pending == nil)
            let staged = pending?.wait()
            written.removeAll(keepingCapacity: true)
            pending = batch.isEmpty ? nil : ParallelStage.start(batch, threads: threads, stage)
            guard let staged else {
                if pending == nil { return }
                continue
            }
            try handle(staged)
        }
    }

    /// One line through `gate.prepare` (nil: a blank line, skipped as
    /// `nextLine` skips it).
    private static func stage(_ line: LineReader.Line, gate: ReadingGate, worker: Int) -> InputUnit? {
        guard let bytes = content(line.bytes) else { return nil }
        if let error = tooLong(bytes) { return InputUnit(line: line.number, raw: bytes, records: .refused(error)) }
        let prepared = Result { () throws(RecordError) in try gate.prepare(line: bytes, authenticated: true, worker: worker) }
        return InputUnit(line: line.number, raw: bytes, records: .one(prepared))
    }

    private func csv(prepare: PrepareReading, _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        guard let header = try nextLine() else { return }
        guard let names = CSVReadings.split(header.bytes) else { throw ToolError(.dataErr, "\(name):\(header.number): CSV header is not valid UTF-8 CSV") }
        let table = try CSVReadings(header: names, overrides: overrides, device: device, patient: patient)
        if !table.ignored.isEmpty { diagnostics.note("\(name): ignoring CSV columns \(table.ignored.joined(separator: ", "))") }
        while let line = try nextLine() {
            units += 1
            let records: Result<[JSONValue], RecordError>
            var context: [String: JSONValue] = [:]
            if let cells = CSVReadings.split(line.bytes) {
                do throws(RecordError) { records = .success(try table.readings(cells)) } catch {
                    // A row's error names the column it found wrong.
                    if let column = error.field { context["column"] = .string(column) }
                    records = .failure(error)
                }
            } else {
                records = .failure(RecordError(.csv, field: nil, "not a CSV row (bad quotes or UTF-8)"))
            }
            let columns = ((try? records.get()) ?? []).map { reading in
                reading["kind"]?.stringValue.flatMap(ReadingKind.init(rawValue:)).flatMap(table.column(of:))
            }
            try body(InputUnit(line: line.number, raw: line.bytes, readings: records, prepare: prepare, context: context, columns: columns))
        }
    }

    /// A whole document (a pretty-printed resource or Bundle) when the input
    /// parses as one JSON value; otherwise one resource per line.
    private func fhir(prepare: PrepareReading, _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        var lines: [Line] = []
        var size = 0
        while let line = try nextLine() {
            size += line.bytes.count + 1
            if size > Self.maxDocumentBytes { throw ToolError(.dataErr, "\(name): FHIR input over \(Self.maxDocumentBytes >> 20) MiB; split it into one resource per line") }
            lines.append(line)
        }
        var document: [UInt8] = []
        for l in lines { document += l.bytes; document.append(0x0a) }
        // A Bundle (or a file of resources) has no order of its own: the
        // readings go to the gate in time order, then kind order at one
        // instant, as their seq (`ImportedReading.seq`) rises; in file order
        // a later or same-time reading of another kind came first and the
        // rest were refused as replays.
        var collected: [InputUnit] = []
        let collect = { (unit: InputUnit) throws(ToolError) in collected.append(unit) }
        if lines.count > 1, let whole = try? JSONValue.parse(document) {
            try resource(whole, line: lines[0].number, raw: nil, prepare: prepare, collect)
        } else {
            for line in lines {
                switch Self.parse(line.bytes) {
                case let .failure(e):
                    units += 1
                    collected.append(InputUnit(line: line.number, raw: line.bytes, records: .refused(e)))
                case let .success(v):
                    try resource(v, line: line.number, raw: line.bytes, prepare: prepare, collect)
                }
            }
        }
        for unit in Self.inTimeOrder(collected) { try body(unit) }
    }

    /// Units refused whole or whose reading is refused unprepared first (in
    /// input order), then the others by seq; ties keep input order.
    static func inTimeOrder(_ units: [InputUnit]) -> [InputUnit] {
        func key(_ unit: InputUnit) -> Int64 {
            if case let .many(records) = unit.records, case let .success(prepared)? = records.first { return prepared.reading.seq }
            return Int64.min
        }
        let keys = units.map(key)
        return units.indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }.map { units[$0] }
    }

    private func resource(_ value: JSONValue, line: Int, raw: [UInt8]?, prepare: PrepareReading,
                          _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        if value["resourceType"]?.stringValue == "Bundle" {
            for (i, entry) in (value["entry"]?.arrayValue ?? []).enumerated() {
                guard let r = entry["resource"] else { continue }
                guard r["resourceType"]?.stringValue == "Observation", !FHIRObservation.isDerivedScore(r) else { skipped += 1; continue }
                units += 1
                let records: Result<[JSONValue], RecordError>
                do throws(RecordError) {
                    records = .success([try FHIRObservation.reading(r, defaultDevice: device, defaultPatient: patient)])
                } catch {
                    records = .failure(error.nested(in: "entry[\(i)].resource"))
                }
                try body(InputUnit(line: line, raw: r.canonicalBytes(), readings: records, prepare: prepare, context: ["entry": .number(Double(i))]))
            }
            return
        }
        units += 1
        let records: Result<[JSONValue], RecordError>
        do throws(RecordError) {
            records = .success([try FHIRObservation.reading(value, defaultDevice: device, defaultPatient: patient)])
        } catch {
            records = .failure(error)
        }
        try body(InputUnit(line: line, raw: raw ?? value.canonicalBytes(), readings: records, prepare: prepare))
    }
}

extension Array where Element == UInt8 {
    /// Whether both arrays are views of one buffer (a line kept as its own
    /// canonical form).
    func sharesStorage(with other: [UInt8]) -> Bool {
        withUnsafeBufferPointer { a in other.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
    }
}
