/// An abnormal reading flagged by the gateway's rules. The body names the
/// reading it is about (device and seq) so an auditor can find it on chain.
public struct Alert: Sendable {
    /// NEWS2 clinical-risk words, so alerts read the same as the ward chart.
    public enum Level: String, CaseIterable, Sendable {
        case low, lowMedium = "low-medium", medium, high
    }

    static let fields: Set<String> = ["device", "patient", "seq", "ts", "kind", "value", "level", "reasons"]

    public let device: String
    public let patient: String
    public let seq: Int64
    public let ts: Timestamp
    public let kind: ReadingKind
    public let value: JSONValue
    public let level: Level
    public let reasons: [String]

    public init(reading: SensorReading, level: Level, reasons: [String]) {
        device = reading.device
        patient = reading.patient
        seq = reading.seq
        ts = reading.ts
        kind = reading.kind
        value = reading.value
        self.level = level
        self.reasons = reasons
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: Self.fields)
        device = try f.string("device", maxLength: 128)
        patient = try f.string("patient", maxLength: 128)
        seq = try f.integer("seq", in: 0...SensorReading.maxSeq)
        ts = try f.timestamp("ts")
        let kindName = try f.string("kind", maxLength: 64)
        guard let kind = ReadingKind(rawValue: kindName) else { throw RecordError(field: "kind", "unknown kind \"\(kindName)\"") }
        self.kind = kind
        value = try f.value("value")
        let levelName = try f.string("level", maxLength: 16)
        guard let level = Level(rawValue: levelName) else {
            throw RecordError(field: "level", "must be one of \(Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.level = level
        let list = try f.array("reasons")
        guard !list.isEmpty else { throw RecordError(field: "reasons", "must name at least one reason") }
        var reasons: [String] = []
        for (i, r) in list.enumerated() {
            guard let s = r.stringValue, !s.isEmpty else { throw RecordError(field: "reasons[\(i)]", "expected a non-empty string") }
            reasons.append(s)
        }
        self.reasons = reasons
    }

    public var json: JSONValue {
        [
            "device": .string(device), "patient": .string(patient), "seq": .number(Double(seq)),
            "ts": .string(ts.description), "kind": .string(kind.rawValue), "value": value,
            "level": .string(level.rawValue), "reasons": .array(reasons.map { .string($0) }),
        ]
    }
}
