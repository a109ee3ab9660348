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
    public var defaults: IngestRules.KindRule
    public var rules: IngestRules

    public static let defaultWindowMs: Int64 = 15 * 60_000
    public static let defaultLearn = 30
    public static let defaultZ = 3.0
    public static let defaultAlpha = 0.1

    public init(windowMs: Int64 = defaultWindowMs, learn: Int = defaultLearn, z: Double = defaultZ,
                alpha: Double = defaultAlpha, rules: IngestRules = IngestRules()) {
        self.windowMs = windowMs
        defaults = IngestRules.KindRule(z: z, learn: learn, alpha: alpha)
        self.rules = rules
    }

    static func number(_ x: Double) -> JSONValue { .number(x) }
    static func text(_ x: Double) -> String { JCS.serialize(number: x) }
    static func rounded(_ x: Double, _ places: Double = 1000) -> Double { (x * places).rounded() / places }

    /// The patient's NEWS2 aggregate at time `at` from the vitals in `patient`.
    public func aggregate(_ patient: IngestState.Patient, patientID: String, at: Timestamp) -> NEWS2.Aggregate {
        scores(patient, patientID: patientID, at: at).aggregate
    }

    /// `aggregate`'s scores, one slot per parameter in `Parameter.allCases`
    /// order (-1: missing), without the per-reading dictionary: evaluate
    /// needs only the total and its own score unless it alerts.
    struct Scores {
        var slots = SIMD8<Int8>(repeating: -1)
        var scale: Int

        subscript(_ p: NEWS2.Parameter) -> Int? {
            let s = slots[p.slot]
            return s < 0 ? nil : Int(s)
        }

        var total: Int {
            var sum = 0
            for i in 0..<NEWS2.Parameter.allCases.count where slots[i] > 0 { sum += Int(slots[i]) }
            return sum
        }

        var risk: Alert.Level {
            var anyThree = false
            for i in 0..<NEWS2.Parameter.allCases.count where slots[i] == 3 { anyThree = true }
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

    func scores(_ patient: IngestState.Patient, patientID: String, at: Timestamp) -> Scores {
        let scale2 = rules.spo2Scale2(patient: patientID)
        let now = at.millisecondsSince1970
        let onOxygen = patient.vitals[.airOrOxygen].flatMap { v in
            now - v.ts.millisecondsSince1970 <= windowMs ? v.value.boolValue : nil
        }
        var result = Scores(scale: scale2 ? 2 : 1)
        // One pass over the vitals (no lookups); a parameter absent, stale
        // or unscorable stays missing.
        for (p, v) in patient.vitals where now - v.ts.millisecondsSince1970 <= windowMs {
            if let s = NEWS2.score(p, value: v.value, scale2: scale2, onOxygen: onOxygen) {
                result.slots[p.slot] = Int8(s)
            }
        }
        return result
    }

    /// Updates the patient's state with `reading` and returns its alert, if any.
    public func evaluate(_ reading: SensorReading, state: inout IngestState, ref: String? = nil) -> Alert? {
        // Taken out of the state while it changes, so its dictionaries are
        // uniquely referenced and updated in place rather than copied.
        var patient = state.patients.removeValue(forKey: reading.patient) ?? IngestState.Patient()
        defer { state.patients[reading.patient] = patient }
        let kind = reading.kind
        let rule = rules.rule(patient: reading.patient, kind: kind, defaults: defaults)
        let parameter = NEWS2.Parameter(kind: kind)
        if let parameter, patient.vitals[parameter].map({ $0.ts <= reading.ts }) ?? true {
            patient.vitals[parameter] = IngestState.Vital(value: reading.value, ts: reading.ts)
        }
        let news2 = scores(patient, patientID: reading.patient, at: reading.ts)
        let risk = news2.risk
        let previousRisk = patient.risk
        patient.risk = risk

        var reasons: [String] = []
        var details: [JSONValue] = []
        let x = reading.primaryNumber
        // Text only for the readings that give a reason.
        var shown: String { x.map(Self.text) ?? reading.value.canonicalString }
        var what: String { kind == .bloodPressure ? "systolic" : kind.rawValue }
        var unit: String { kind.unit == "1" ? "" : " \(kind.unit)" }

        // Adaptive baseline: judge against what was learned before this reading.
        var deviation: (mean: Double, sd: Double, z: Double)?
        var insideBaseline = false
        if let x, rule.baseline ?? (kind != .emg), kind != .oxygen, kind != .consciousness {
            var b = patient.baselines[kind] ?? Baseline()
            let learn = rule.learn ?? Self.defaultLearn
            if b.n >= learn {
                let sd = b.sd(floor: Baseline.sdFloor(kind))
                let z = abs(x - b.mean) / sd
                if z > (rule.z ?? Self.defaultZ) { deviation = (b.mean, sd, z) } else { insideBaseline = true }
            }
            b.add(x, alpha: rule.alpha ?? Self.defaultAlpha)
            patient.baselines[kind] = b
        }

        if let parameter, let own = news2[parameter], own > 0 {
            let band = NEWS2.band(parameter, value: reading.value, scale2: news2.scale == 2,
                                  onOxygen: patient.vitals[.airOrOxygen]?.value.boolValue)
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
            let limit = rule.z ?? Self.defaultZ
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
