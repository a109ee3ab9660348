/// The `--rules FILE` of ehx-ingest: thresholds and adaptive settings per
/// kind and per patient, overriding the command line's defaults.
///
///     {"v":1,
///      "kinds":{"heart_rate":{"min":40,"max":130}},
///      "patients":{"P-0007":{"spo2_scale":2,
///                            "kinds":{"heart_rate":{"min":35,"z":4,"learn":50}}}}}
///
/// For a kind, `min`/`max` alert when the value (systolic for blood
/// pressure) is below `min` or above `max`; `z`, `learn` and `alpha` tune the
/// adaptive baseline; `baseline: false` turns it off. A patient's entry wins
/// over `kinds`, which wins over the command line. `spo2_scale: 2` is the
/// clinician's decision that this patient's SpO2 is scored on NEWS2 scale 2.
public struct IngestRules: Sendable {
    public struct KindRule: Sendable, Equatable {
        public var min: Double?
        public var max: Double?
        public var z: Double?
        public var learn: Int?
        public var alpha: Double?
        public var baseline: Bool?
        /// A clinician's admission baseline (mean and standard deviation),
        /// used instead of one learned from the first `learn` readings.
        public var mean: Double?
        public var sd: Double?
        /// The drift rule's CUSUM slack and limit, in standard deviations.
        public var cusumK: Double?
        public var cusumH: Double?

        public init(min: Double? = nil, max: Double? = nil, z: Double? = nil, learn: Int? = nil, alpha: Double? = nil, baseline: Bool? = nil,
                    mean: Double? = nil, sd: Double? = nil, cusumK: Double? = nil, cusumH: Double? = nil) {
            self.min = min; self.max = max; self.z = z; self.learn = learn; self.alpha = alpha; self.baseline = baseline
            self.mean = mean; self.sd = sd; self.cusumK = cusumK; self.cusumH = cusumH
        }

        /// `self` with the gaps filled from `fallback`.
        func over(_ fallback: KindRule) -> KindRule {
            KindRule(min: min ?? fallback.min, max: max ?? fallback.max, z: z ?? fallback.z,
                     learn: learn ?? fallback.learn, alpha: alpha ?? fallback.alpha, baseline: baseline ?? fallback.baseline,
                     mean: mean ?? fallback.mean, sd: sd ?? fallback.sd, cusumK: cusumK ?? fallback.cusumK, cusumH: cusumH ?? fallback.cusumH)
        }
    }

    /// How long a value of each NEWS2 parameter counts after it was taken
    /// (`RuleEngine.defaultFreshness` for the ones not set); `held`: until
    /// the next value replaces it.
    public static let held = Int64.max
    public var freshness: [NEWS2.Parameter: Int64] = [:]

    public struct PatientRule: Sendable {
        public var spo2Scale: Int = 1
        public var kinds: [ReadingKind: KindRule] = [:]
        public init(spo2Scale: Int = 1, kinds: [ReadingKind: KindRule] = [:]) {
            self.spo2Scale = spo2Scale
            self.kinds = kinds
        }
    }

    public var kinds: [ReadingKind: KindRule] = [:]
    public var patients: [String: PatientRule] = [:]

    public init(kinds: [ReadingKind: KindRule] = [:], patients: [String: PatientRule] = [:]) {
        self.kinds = kinds
        self.patients = patients
    }

    /// The rule for one patient (nil: any patient without rules of their
    /// own) and kind, filled in from the defaults.
    public func rule(patient: String?, kind: ReadingKind, defaults: KindRule) -> KindRule {
        let general = (kinds[kind] ?? KindRule()).over(defaults)
        guard let patient, let specific = patients[patient]?.kinds[kind] else { return general }
        return specific.over(general)
    }

    public func spo2Scale2(patient: String) -> Bool { patients[patient]?.spo2Scale == 2 }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["v", "kinds", "patients", "comment", "freshness"])
        guard try f.integer("v", in: 1...1) == 1 else { throw RecordError(field: "v", "must be 1") }
        if f.has("freshness") {
            for (name, entry) in try f.object("freshness").objectValue ?? [:] {
                guard let parameter = NEWS2.Parameter(rawValue: name) else {
                    throw RecordError(field: "freshness.\(name)", "not a NEWS2 parameter (known: \(NEWS2.Parameter.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                if entry.stringValue == "held" {
                    freshness[parameter] = Self.held
                } else if let text = entry.stringValue, let ms = DurationArgument.milliseconds(text), ms > 0 {
                    freshness[parameter] = ms
                } else {
                    throw RecordError(field: "freshness.\(name)", "expected a duration (\"900\", \"15m\", \"12h\") or \"held\" (until the next value)")
                }
            }
        }
        if f.has("kinds") { kinds = try Self.kindTable(try f.object("kinds"), at: "kinds") }
        if f.has("patients") {
            for (patient, entry) in try f.object("patients").objectValue ?? [:] {
                let at = "patients.\(patient)"
                do throws(RecordError) {
                    let pf = try RecordFields(entry, allowed: ["spo2_scale", "kinds", "comment"])
                    var rule = PatientRule()
                    if pf.has("spo2_scale") { rule.spo2Scale = Int(try pf.integer("spo2_scale", in: 1...2)) }
                    if pf.has("kinds") { rule.kinds = try Self.kindTable(try pf.object("kinds"), at: "kinds") }
                    patients[patient] = rule
                } catch {
                    throw error.nested(in: at)
                }
            }
        }
    }

    static func kindTable(_ value: JSONValue, at path: String) throws(RecordError) -> [ReadingKind: KindRule] {
        var table: [ReadingKind: KindRule] = [:]
        for (name, entry) in value.objectValue ?? [:] {
            guard let kind = ReadingKind(rawValue: name) else {
                throw RecordError(field: "\(path).\(name)", "unknown kind (known: \(ReadingKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            do throws(RecordError) {
                let f = try RecordFields(entry, allowed: ["min", "max", "z", "learn", "alpha", "baseline", "mean", "sd", "cusum_k", "cusum_h"])
                var rule = KindRule()
                if f.has("min") { rule.min = try f.number("min") }
                if f.has("max") { rule.max = try f.number("max") }
                if let lo = rule.min, let hi = rule.max, lo >= hi { throw RecordError(field: "max", "must be above min") }
                if f.has("z") {
                    let z = try f.number("z")
                    guard z > 0 else { throw RecordError(field: "z", "must be above 0") }
                    rule.z = z
                }
                if f.has("learn") { rule.learn = Int(try f.integer("learn", in: 2...1_000_000)) }
                if f.has("alpha") {
                    let a = try f.number("alpha")
                    guard a > 0, a < 1 else { throw RecordError(field: "alpha", "must be between 0 and 1") }
                    rule.alpha = a
                }
                if f.has("mean") { rule.mean = try f.number("mean") }
                if f.has("sd") {
                    let sd = try f.number("sd")
                    guard sd > 0 else { throw RecordError(field: "sd", "must be above 0") }
                    rule.sd = sd
                }
                if (rule.mean == nil) != (rule.sd == nil) { throw RecordError(field: rule.mean == nil ? "mean" : "sd", "mean and sd go together") }
                for key in ["cusum_k", "cusum_h"] where f.has(key) {
                    let v = try f.number(key)
                    guard v > 0 else { throw RecordError(field: key, "must be above 0") }
                    if key == "cusum_k" { rule.cusumK = v } else { rule.cusumH = v }
                }
                if f.has("baseline") {
                    guard let b = try f.value("baseline").boolValue else { throw RecordError(field: "baseline", "expected true or false") }
                    rule.baseline = b
                }
                table[kind] = rule
            } catch {
                throw error.nested(in: "\(path).\(name)")
            }
        }
        return table
    }

    /// Reads and checks a rules file; errors name the file and the field.
    public static func load(path: String) throws(ToolError) -> IngestRules {
        let reader = try LineReader(path: path)
        var bytes: [UInt8] = []
        while let line = try reader.next() {
            bytes += line.bytes
            bytes.append(0x0a)
            if bytes.count > 1 << 24 { throw ToolError(.dataErr, "\(path): larger than 16 MiB; not a rules file") }
        }
        do {
            return try IngestRules(parsing: try JSONValue.parse(bytes))
        } catch let e as RecordError {
            throw ToolError(.dataErr, "\(path): \(e.description)")
        } catch {
            throw ToolError(.dataErr, "\(path): not JSON: \(error)")
        }
    }
}
