/// The gateway's clinical rules for one accepted reading, per patient:
///
/// * NEWS2 over `window`: the most recent value of each parameter no older
///   than the window before this reading; a parameter without one is
///   missing (listed, never scored 0). SpO2 uses scale 2 only for patients
///   the rules file configures for it.
/// * The reading alerts when its own parameter scores 1 or more, unless the
///   score is 1 or 2, the patient's baseline for the kind has been learned
///   and the value is inside it, and the aggregate risk is below medium
///   (an athlete's 45/min resting pulse). A 3 or an aggregate of 5 or more
///   always alerts. A rise of the patient's risk to medium or high alerts
///   once, whichever reading caused it.
/// * Thresholds from the rules file (`min`/`max` per kind or patient).
/// * The adaptive baseline: once `learn` readings of a kind are in, a value
///   more than `z` standard deviations from the patient's own mean alerts,
///   even inside the population bands.
public struct RuleEngine: Sendable {
    public var windowMs: Int64
    public var defaults: IngestRules.KindRule { didSet { resolveRules() } }
    public var rules: IngestRules { didSet { resolveRules() } }
    /// `rules` resolved per kind (general) and per configured patient, so a
    /// reading costs no rule merging and, without patient rules, no lookup.
    private var kindRules: [Rule] = []
    private var patientRules: [String: PatientRules] = [:]

    public static let defaultWindowMs: Int64 = 15 * 60_000
    public static let defaultLearn = 30
    public static let defaultZ = 3.0
    public static let defaultAlpha = 0.1

    public init(windowMs: Int64 = defaultWindowMs, learn: Int = defaultLearn, z: Double = defaultZ,
                alpha: Double = defaultAlpha, rules: IngestRules = IngestRules()) {
        self.windowMs = windowMs
        defaults = IngestRules.KindRule(z: z, learn: learn, alpha: alpha)
        self.rules = rules
        resolveRules()
    }

    /// A kind's rule with every gap filled: from the rules file, the
    /// command line, then the engine's constants.
    struct Rule: Sendable {
        var min: Double?
        var max: Double?
        var z: Double
        var learn: Int
        var alpha: Double
        var baseline: Bool

        init(_ rule: IngestRules.KindRule, kind: ReadingKind) {
            min = rule.min
            max = rule.max
            z = rule.z ?? RuleEngine.defaultZ
            learn = rule.learn ?? RuleEngine.defaultLearn
            alpha = rule.alpha ?? RuleEngine.defaultAlpha
            baseline = rule.baseline ?? (kind != .emg)
        }
    }

    struct PatientRules: Sendable {
        var scale2: Bool
        /// By `ReadingKind.slot`.
        var kinds: [Rule]
    }

    private mutating func resolveRules() {
        let kinds = ReadingKind.allCases.sorted { $0.slot < $1.slot }
        func resolved(_ patient: String?) -> [Rule] {
            kinds.map { Rule(rules.rule(patient: patient, kind: $0, defaults: defaults), kind: $0) }
        }
        kindRules = resolved(nil)
        patientRules = Dictionary(uniqueKeysWithValues: rules.patients.keys.map { id in
            (id, PatientRules(scale2: rules.spo2Scale2(patient: id), kinds: resolved(id)))
        })
    }

    /// The rule for a patient and kind, and whether SpO2 is on scale 2.
    func rule(patient: String, kind: ReadingKind) -> (rule: Rule, scale2: Bool) {
        if !patientRules.isEmpty, let specific = patientRules[patient] { return (specific.kinds[kind.slot], specific.scale2) }
        return (kindRules[kind.slot], false)
    }

    static func number(_ x: Double) -> JSONValue { .number(x) }
    static func text(_ x: Double) -> String { JCS.serialize(number: x) }
    static func rounded(_ x: Double, _ places: Double = 1000) -> Double { (x * places).rounded() / places }

    /// The patient's NEWS2 aggregate at time `at` from the vitals in `patient`.
    public func aggregate(_ patient: IngestState.Patient, patientID: String, at: Timestamp) -> NEWS2.Aggregate {
        scores(patient, scale2: rule(patient: patientID, kind: .spo2).scale2, at: at).aggregate
    }

    /// `aggregate`'s scores, one slot per parameter in `Parameter.allCases`
    /// order (-1: missing), without the per-reading dictionary: evaluate
    /// needs only the total and its own score unless it alerts.
    struct Scores {
        /// One byte per slot, 0xFF: missing (see `PatientVitals.scores`).
        var slots = UInt64.max
        var scale: Int

        subscript(_ p: NEWS2.Parameter) -> Int? {
            let s = UInt8(truncatingIfNeeded: slots >> UInt64(p.slot * 8))
            return s == 0xFF ? nil : Int(s)
        }

        var total: Int {
            var sum = 0
            for p in NEWS2.Parameter.allCases { sum += self[p] ?? 0 }
            return sum
        }

        var risk: Alert.Level {
            var anyThree = false
            for p in NEWS2.Parameter.allCases where self[p] == 3 { anyThree = true }
            return NEWS2.risk(aggregate: total, anyThree: anyThree)
        }

        var aggregate: NEWS2.Aggregate {
            var result = NEWS2.Aggregate(scores: [:], missing: [], scale: scale)
            for p in NEWS2.Parameter.allCases {
                if let s = self[p] { result.scores[p] = s } else { result.missing.append(p) }
            }
            return result
        }
    }

    /// NEWS2 over `window`: a parameter absent, stale or unscorable is missing.
    func scores(_ patient: IngestState.Patient, scale2: Bool, at: Timestamp) -> Scores {
        Scores(slots: patient.vitalSlots.scores(at: at.millisecondsSince1970, windowMs: windowMs, scale2: scale2),
               scale: scale2 ? 2 : 1)
    }

    /// Updates the patient's state with `reading` and returns its alert, if any.
    public func evaluate(_ reading: SensorReading, state: inout IngestState, ref: String? = nil) -> Alert? {
        evaluate(reading, patient: state.patientSlot(reading.patient), state: &state, ref: ref)
    }

    /// `evaluate` for the patient in `slot` of `state.patientRecords`.
    func evaluate(_ reading: SensorReading, patient slot: Int, state: inout IngestState, ref: String? = nil) -> Alert? {
        // In place: the record is never copied out of the state.
        evaluate(reading, patient: &state.patientRecords[slot], ref: ref)
    }

    private func evaluate(_ reading: SensorReading, patient: inout IngestState.Patient, ref: String?) -> Alert? {
        let kind = reading.kind
        let (rule, scale2) = rule(patient: reading.patient, kind: kind)
        let parameter = NEWS2.Parameter(kind: kind)
        let x = reading.primaryNumber
        if let parameter, !patient.vitalSlots.has(parameter) || patient.vitalSlots.ts(parameter) <= reading.ts {
            patient.vitalSlots.set(parameter, value: reading.value, numeric: NEWS2.number(parameter, value: reading.value), ts: reading.ts)
        }
        let news2 = Scores(slots: patient.vitalSlots.scores(at: reading.ts.millisecondsSince1970, windowMs: windowMs, scale2: scale2),
                           scale: scale2 ? 2 : 1)
        let risk = news2.risk
        let previousRisk = patient.risk
        patient.risk = risk

        var reasons: [String] = []
        var details: [JSONValue] = []
        // Text only for the readings that give a reason.
        var shown: String { x.map(Self.text) ?? reading.value.canonicalString }
        var what: String { kind == .bloodPressure ? "systolic" : kind.rawValue }
        var unit: String { kind.unit == "1" ? "" : " \(kind.unit)" }

        // Adaptive baseline: judge against what was learned before this reading.
        var deviation: (mean: Double, sd: Double, z: Double)?
        var insideBaseline = false
        if let x, rule.baseline, kind != .oxygen, kind != .consciousness {
            var b = patient.baselineSlots[kind] ?? Baseline()
            if b.n >= rule.learn {
                let sd = b.sd(floor: Baseline.sdFloor(kind))
                let z = abs(x - b.mean) / sd
                if z > rule.z { deviation = (b.mean, sd, z) } else { insideBaseline = true }
            }
            b.add(x, alpha: rule.alpha)
            patient.baselineSlots[kind] = b
        }

        if let parameter, let own = news2[parameter], own > 0 {
            let band = NEWS2.band(parameter, value: reading.value, scale2: news2.scale == 2,
                                  onOxygen: patient.vitalSlots.onOxygen)
            let suppressed = own < 3 && insideBaseline && risk != .medium && risk != .high
            if !suppressed {
                let scaleNote = parameter == .spo2 ? " (scale \(news2.scale))" : ""
                reasons.append("\(what) \(shown)\(unit) scores \(own) on NEWS2 (\(band?.label ?? "?")\(scaleNote))")
                var d: JSONValue = ["rule": "news2", "parameter": .string(parameter.rawValue), "kind": .string(kind.rawValue),
                                    "value": reading.value, "score": .number(Double(own))]
                if let band { d = Self.adding("band", .string(band.label), to: d) }
                details.append(d)
            }
        }
        if risk == .medium || risk == .high, Self.order(risk) > Self.order(previousRisk) {
            let aggregate = news2.aggregate
            let missing = aggregate.missing.isEmpty ? "" : "; missing: \(aggregate.missing.sorted().map(\.rawValue).joined(separator: ", "))"
            reasons.append("NEWS2 aggregate \(aggregate.total): risk \(risk.rawValue) (was \(previousRisk?.rawValue ?? "unknown"))\(missing)")
            details.append(["rule": "news2-risk", "score": .number(Double(aggregate.total)), "risk": .string(risk.rawValue),
                            "was": previousRisk.map { .string($0.rawValue) } ?? .null])
        }
        if let x {
            if let lo = rule.min, x < lo {
                reasons.append("\(what) \(shown)\(unit) is below the rules' min \(Self.text(lo))")
                details.append(["rule": "threshold", "kind": .string(kind.rawValue), "value": .number(x), "min": .number(lo)])
            }
            if let hi = rule.max, x > hi {
                reasons.append("\(what) \(shown)\(unit) is above the rules' max \(Self.text(hi))")
                details.append(["rule": "threshold", "kind": .string(kind.rawValue), "value": .number(x), "max": .number(hi)])
            }
        }
        if let deviation, let x {
            let limit = rule.z
            reasons.append("\(what) \(shown)\(unit) is \(Self.text(Self.rounded(deviation.z, 10))) SD from patient's baseline \(Self.text(Self.rounded(deviation.mean, 100))) ± \(Self.text(Self.rounded(deviation.sd, 100))) (limit \(Self.text(limit)) SD)")
            details.append(["rule": "baseline", "kind": .string(kind.rawValue), "value": .number(x),
                            "mean": .number(Self.rounded(deviation.mean)), "sd": .number(Self.rounded(deviation.sd)),
                            "z": .number(Self.rounded(deviation.z)), "limit": .number(limit)])
        }
        guard !reasons.isEmpty else { return nil }
        return Alert(reading: reading, level: risk, reasons: reasons, news2: news2.aggregate.json, rules: details, ref: ref)
    }

    static func order(_ level: Alert.Level?) -> Int {
        switch level {
        case nil: return -1
        case .low: return 0
        case .lowMedium: return 1
        case .medium: return 2
        case .high: return 3
        }
    }

    static func adding(_ key: String, _ value: JSONValue, to object: JSONValue) -> JSONValue {
        guard var m = object.objectValue else { return object }
        m[key] = value
        return .object(m)
    }
}
