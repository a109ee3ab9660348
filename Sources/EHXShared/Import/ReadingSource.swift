/// ehx-ingest's input, read through the one `RecordPipeline`: JSON lines
/// (each staged through the gate on several threads), or an import (CSV
/// rows, a FHIR document) whose readings the gate prepares unauthenticated.
/// Every unit reaches the caller in the order the gateway must judge it.
public final class ReadingSource {
    public enum Format: String, CaseIterable, Sendable { case jsonl, fhir, csv }

    public let pipeline: RecordPipeline
    private let format: Format
    private let device: String?
    private let patient: String?
    private let overrides: [String: CSVReadings.Role]
    private let diagnostics: Diagnostics
    private var importedUnits = 0
    public private(set) var skipped = 0
    static let maxDocumentBytes = 64 << 20

    /// `columns`: CSV header names mapped to a role (`--column`).
    public init(path: String, rejects: String?, format: Format, device: String?, patient: String?,
                columns: [String: CSVReadings.Role], diagnostics: Diagnostics) throws(ToolError) {
        pipeline = try RecordPipeline(input: path, rejects: rejects, diagnostics: diagnostics)
        self.format = format
        self.device = device
        self.patient = patient
        overrides = columns
        self.diagnostics = diagnostics
    }

    public var name: String { pipeline.inputName }
    public var rejects: RejectLog { pipeline.rejects }
    /// Lines of JSON, rows of CSV, resources or Bundle entries of FHIR read.
    public var units: Int { format == .jsonl ? pipeline.counts.records : importedUnits }

    /// Calls `body` for every unit in input order, each reading put through
    /// `gate.prepare` (MACs checked for JSON lines; imports carry none).
    /// For JSON lines, `prepare` runs on `threads` threads a batch at a
    /// time, staging the next batch while `body` handles this one (the
    /// gate must be made for that many workers); `body` (the ordered,
    /// stateful part) always runs on this thread. `idle` runs before every
    /// read that may wait for input, so what has been written can be
    /// flushed for a reader downstream first. `fresh` runs after each batch
    /// of JSON lines is read and before it is staged; a gate it returns (the
    /// PSK file was read again) judges that batch on.
    public func forEach(threads: Int, gate: ReadingGate, idle: () throws(ToolError) -> Void,
                        fresh: () throws(ToolError) -> ReadingGate? = { nil },
                        _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        let imported = { (json: JSONValue) -> InputUnit.Record in
            do throws(RecordError) { return .success(try gate.prepare(json, authenticated: false)) } catch { return .failure(error) }
        }
        switch format {
        case .jsonl: try jsonLines(threads: threads, gate: gate, idle: idle, fresh: fresh, body)
        case .csv: try csv(prepare: imported, body)
        case .fhir: try fhir(prepare: imported, body)
        }
    }

    private func jsonLines(threads: Int, gate initial: ReadingGate, idle: () throws(ToolError) -> Void,
                           fresh: () throws(ToolError) -> ReadingGate?,
                           _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        var gate = initial
        // A reading's canonical bytes, when they are not the line itself,
        // were made on a worker; freeing them here while the workers
        // allocate contends for glibc's arena lock. They are kept until
        // the workers are idle between batches, and freed then.
        var written: [[UInt8]] = []
        try pipeline.runLines(
            threads: threads, lookahead: true, idle: idle,
            fresh: { () throws(ToolError) -> ReadingGate in
                if let reloaded = try fresh() { gate = reloaded }
                return gate
            },
            settled: { written.removeAll(keepingCapacity: true) },
            stage: { line, worker, gate in
                InputUnit(line: line.number, raw: line.bytes,
                          records: .one(Result { () throws(RecordError) in try gate.prepare(line: line.bytes, authenticated: true, worker: worker) }))
            },
            finish: { _, unit throws(ToolError) in
                try body(unit)
                if threads > 1, case let .one(.success(prepared)) = unit.records, !prepared.canonical.sharesStorage(with: unit.raw) {
                    written.append(prepared.canonical)
                }
            })
    }

    private func csv(prepare: (JSONValue) -> InputUnit.Record, _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        guard let header = try pipeline.nextLine() else { return }
        guard let names = CSVReadings.split(header.bytes) else { throw ToolError(.dataErr, "\(name):\(header.number): CSV header is not valid UTF-8 CSV") }
        let table = try CSVReadings(header: names, overrides: overrides, device: device, patient: patient)
        if !table.ignored.isEmpty { diagnostics.note("\(name): ignoring CSV columns \(table.ignored.joined(separator: ", "))") }
        while let line = try pipeline.nextLine() {
            importedUnits += 1
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
    private func fhir(prepare: (JSONValue) -> InputUnit.Record, _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        var lines: [RecordPipeline.Line] = []
        var size = 0
        while let line = try pipeline.nextLine() {
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
                    importedUnits += 1
                    collected.append(InputUnit(line: line.number, raw: line.bytes, records: .refused(e)))
                case let .success(v):
                    try resource(v, line: line.number, raw: line.bytes, prepare: prepare, collect)
                }
            }
        }
        for unit in Self.inTimeOrder(collected) { try body(unit) }
    }

    /// One resource's line: too long for a record, not JSON, or its value.
    static func parse(_ bytes: [UInt8]) -> Result<JSONValue, RecordError> {
        let limit = RecordPipeline.defaultMaxLineBytes
        if bytes.count > limit { return .failure(RecordError(.tooLong, field: nil, "line too long (\(bytes.count) bytes; the limit is \(limit))")) }
        do { return .success(try JSONValue.parse(bytes)) } catch {
            return .failure(.notJSON(error))
        }
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

    private func resource(_ value: JSONValue, line: Int, raw: [UInt8]?, prepare: (JSONValue) -> InputUnit.Record,
                          _ body: (InputUnit) throws(ToolError) -> Void) throws(ToolError) {
        if value["resourceType"]?.stringValue == "Bundle" {
            for (i, entry) in (value["entry"]?.arrayValue ?? []).enumerated() {
                guard let r = entry["resource"] else { continue }
                guard r["resourceType"]?.stringValue == "Observation", !FHIRObservation.isDerivedScore(r) else { skipped += 1; continue }
                importedUnits += 1
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
        importedUnits += 1
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
