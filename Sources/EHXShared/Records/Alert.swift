/// An abnormal reading flagged by the gateway's rules. The body names the
/// reading it is about (device and seq) so an auditor can find it on chain.
public struct Alert: Sendable {
    /// NEWS2 clinical-risk words, so alerts read the same as the ward chart.
    public enum Level: String, CaseIterable, Sendable {
        case low, lowMedium = "low-medium", medium, high
    }

    static let fields: Set<String> = ["device", "patient", "seq", "ts", "kind", "value", "level", "reasons", "news2", "rules", "ref",
                                      "partial", "artefact"]
    /// Members a structured reason (`rules` entry) may have; `rule` is required.
    static let ruleFields: Set<String> = ["rule", "parameter", "kind", "value", "score", "band", "risk", "was", "min", "max", "mean", "sd", "z", "limit", "n",
                                          "charted", "cusum", "direction", "suspect", "previous", "pleth"]
    static let ruleNames: Set<String> = ["news2", "news2-risk", "threshold", "baseline", "cusum", "artefact"]

    public let device: String
    public let patient: String
    public let seq: Int64
    public let ts: Timestamp
    public let kind: ReadingKind
    public let value: JSONValue
    public let level: Level
    public let reasons: [String]
    /// Optional: the patient's NEWS2 aggregate when the alert was raised
    /// (`{"score","risk","scale","scores","missing"}`).
    public let news2: JSONValue?
    /// Optional: one object per reason, naming the rule, value and threshold or baseline.
    public let rules: [JSONValue]?
    /// Optional: hex SHA-256 of the reading's canonical bytes (mac included).
    public let ref: String?
    /// Optional: the NEWS2 aggregate behind `level` lacks some of the seven
    /// parameters, so `level` is a floor (true), or it has all seven (false).
    public let partial: Bool?
    /// Optional: the reading is a suspected artefact (a leads-off period, an
    /// implausible jump, a pleth pulse that disagrees); the alert stands.
    public let artefact: Bool?

    public init(reading: SensorReading, level: Level, reasons: [String], news2: JSONValue? = nil, rules: [JSONValue]? = nil, ref: String? = nil,
                partial: Bool? = nil, artefact: Bool? = nil) {
        device = reading.device
        patient = reading.patient
        seq = reading.seq
        ts = reading.ts
        kind = reading.kind
        value = reading.value
        self.level = level
        self.reasons = reasons
        self.news2 = news2
        self.rules = rules
        self.ref = ref
        self.partial = partial
        self.artefact = artefact
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: Self.fields)
        device = try f.string("device", maxLength: 128)
        patient = try f.string("patient", maxLength: 128)
        seq = try f.integer("seq", in: 0...SensorReading.maxSeq)
        ts = try f.timestamp("ts")
        kind = try ReadingKind.parse(try f.string("kind", maxLength: 64))
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
        news2 = f.has("news2") ? try Self.checkNEWS2(try f.object("news2")) : nil
        if f.has("rules") {
            let list = try f.array("rules")
            for (i, r) in list.enumerated() {
                do throws(RecordError) {
                    let rf = try RecordFields(r, allowed: Self.ruleFields)
                    let name = try rf.string("rule", maxLength: 32)
                    guard Self.ruleNames.contains(name) else {
                        throw RecordError(field: "rule", "unknown rule \"\(name)\" (known: \(Self.ruleNames.sorted().joined(separator: ", ")))")
                    }
                } catch {
                    throw error.nested(in: "rules[\(i)]")
                }
            }
            rules = list
        } else {
            rules = nil
        }
        partial = f.has("partial") ? try Self.flag(f, "partial") : nil
        artefact = f.has("artefact") ? try Self.flag(f, "artefact") : nil
        if f.has("ref") {
            let text = try f.string("ref", maxLength: 64)
            guard text.utf8.count == 64, Hex.decode(text) != nil else {
                throw RecordError(field: "ref", "must be 64 lowercase hex digits (SHA-256 of the reading)")
            }
            ref = text
        } else {
            ref = nil
        }
    }

    static func flag(_ f: RecordFields, _ key: String) throws(RecordError) -> Bool {
        guard let b = try f.value(key).boolValue else { throw RecordError(field: key, "expected true or false") }
        return b
    }

    static func checkNEWS2(_ value: JSONValue) throws(RecordError) -> JSONValue {
        do throws(RecordError) {
            let f = try RecordFields(value, allowed: ["score", "risk", "scale", "scores", "missing", "partial"])
            if f.has("partial") { _ = try flag(f, "partial") }
            _ = try f.integer("score", in: 0...20)
            guard Level(rawValue: try f.string("risk", maxLength: 16)) != nil else {
                throw RecordError(field: "risk", "must be one of \(Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            _ = try f.integer("scale", in: 1...2)
            for (name, score) in try f.object("scores").objectValue ?? [:] {
                guard NEWS2.Parameter(rawValue: name) != nil else { throw RecordError(field: "scores.\(name)", "not a NEWS2 parameter") }
                guard let n = score.integerValue, (0...3).contains(n) else { throw RecordError(field: "scores.\(name)", "expected an integer 0...3") }
            }
            for (i, m) in try f.array("missing").enumerated() {
                guard let name = m.stringValue, NEWS2.Parameter(rawValue: name) != nil else {
                    throw RecordError(field: "missing[\(i)]", "not a NEWS2 parameter")
                }
            }
        } catch {
            throw error.nested(in: "news2")
        }
        return value
    }

    public var json: JSONValue {
        var m: [String: JSONValue] = [
            "device": .string(device), "patient": .string(patient), "seq": .number(Double(seq)),
            "ts": .string(ts.description), "kind": .string(kind.rawValue), "value": value,
            "level": .string(level.rawValue), "reasons": .array(reasons.map { .string($0) }),
        ]
        if let news2 { m["news2"] = news2 }
        if let rules { m["rules"] = .array(rules) }
        if let ref { m["ref"] = .string(ref) }
        if let partial { m["partial"] = .bool(partial) }
        if let artefact { m["artefact"] = .bool(artefact) }
        return .object(m)
    }
}
