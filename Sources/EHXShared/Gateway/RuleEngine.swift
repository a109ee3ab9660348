/// The gateway's clinical rules for one accepted reading, per patient:
///
/// * NEWS2: the most recent value of each parameter that is still fresh
///   (`freshness`: 15 minutes for the monitored respiration, SpO2 and pulse,
///   an hour for a cuff blood pressure, 12 hours for staff-entered
///   temperature and ACVPU, oxygen held until changed); a parameter without
///   one is missing (listed, never scored 0), and the aggregate is then
///   labelled partial. Values are scored as the chart records them
///   (`NEWS2.charted`). SpO2 uses scale 2 only for patients the rules file
///   configures for it.
/// * The reading alerts when its own parameter scores 1 or more, and when
///   it raises the patient's risk to medium or high (once per rise). A
///   baseline never removes what NEWS2 escalates.
/// * Thresholds from the rules file (`min`/`max` per kind or patient).
/// * The adaptive baseline: once `learn` readings of a kind are in, a value
///   more than `z` standard deviations from the patient's moving mean
///   alerts, even inside the population bands.
/// * Drift: a CUSUM of the readings against the admission baseline (the
///   first `learn` readings, or the clinician's `mean` and `sd`) alerts once
///   per excursion, so a slow rise the moving mean follows is still caught.
/// * Suspected artefacts (a leads-off period, an implausible jump, an ECG
///   count the pleth pulse contradicts) are marked on the alert, never
///   silenced, and are kept out of the baselines.
public struct RuleEngine: Sendable {
    /// The freshness of the monitored parameters (respiration, SpO2, pulse).
    public var windowMs: Int64 { didSet { resolveRules() } }
    public var defaults: IngestRules.KindRule { didSet { resolveRules() } }
    public var rules: IngestRules { didSet { resolveRules() } }
    /// `rules` resolved per kind (general) and per configured patient, so a
    /// reading costs no rule merging and, without patient rules, no lookup.
    private var kindRules: [Rule] = []
    private var patientRules: [String: PatientRules] = [:]
    /// Each parameter's freshness in milliseconds, by `Parameter.slot`.
    private(set) var windows = SIMD8<Int64>(repeating: 0)

    public static let defaultWindowMs: Int64 = 15 * 60_000
    public static let defaultLearn = 30
    public static let defaultZ = 3.0
    public static let defaultAlpha = 0.1
    public static let defaultCusumK = 0.5
    public static let defaultCusumH = 5.0
    /// How far back a previous value counts for the jump and leads-off checks.
    static let artefactSpanMs: Int64 = 5 * 60_000

    public init(windowMs: Int64 = defaultWindowMs, learn: Int = defaultLearn, z: Double = defaultZ,
                alpha: Double = defaultAlpha, rules: IngestRules = IngestRules()) {
        self.windowMs = windowMs
        defaults = IngestRules.KindRule(z: z, learn: learn, alpha: alpha)
        self.rules = rules
        resolveRules()
    }

    /// How long a parameter's value counts when the rules file does not say
    /// (see ehx-ingest(1) for the clinical reasons).
    public static func defaultFreshness(_ parameter: NEWS2.Parameter, windowMs: Int64 = defaultWindowMs) -> Int64 {
        switch parameter {
        case .respirationRate, .spo2, .pulse: return windowMs
        case .systolicBP: return 60 * 60_000
        case .temperature, .consciousness: return 12 * 60 * 60_000
        case .airOrOxygen: return IngestRules.held
        }
    }

    /// A parameter's freshness in force: the rules file's, else the default.
    public func freshness(_ parameter: NEWS2.Parameter) -> Int64 {
        rules.freshness[parameter] ?? Self.defaultFreshness(parameter, windowMs: windowMs)
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
        var confirmed: (mean: Double, sd: Double)?
        var cusumK: Double
        var cusumH: Double

        init(_ rule: IngestRules.KindRule, kind: ReadingKind) {
            min = rule.min
            max = rule.max
            z = rule.z ?? RuleEngine.defaultZ
            learn = rule.learn ?? RuleEngine.defaultLearn
            alpha = rule.alpha ?? RuleEngine.defaultAlpha
            baseline = rule.baseline ?? (kind != .emg)
            if let mean = rule.mean, let sd = rule.sd { confirmed = (mean, sd) }
            cusumK = rule.cusumK ?? RuleEngine.defaultCusumK
            cusumH = rule.cusumH ?? RuleEngine.defaultCusumH
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
        var w = SIMD8<Int64>(repeating: 0)
        for p in NEWS2.Parameter.allCases { w[p.slot] = freshness(p) }
        windows = w
    }

    /// The rule for a patient and kind, and whether SpO2 is on scale 2.
    func rule(patient: String, kind: ReadingKind) -> (rule: Rule, scale2: Bool) {
        if !patientRules.isEmpty, let specific = patientRules[patient] { return (specific.kinds[kind.slot], specific.scale2) }
        return (kindRules[kind.slot], false)
    }

    /// Whether the patient's SpO2 is scored on scale 2.
    public func scale2(patient: String) -> Bool { rule(patient: patient, kind: .spo2).scale2 }

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

    /// NEWS2 with each parameter's freshness: absent, stale or unscorable is missing.
    func scores(_ patient: IngestState.Patient, scale2: Bool, at: Timestamp) -> Scores {
        Scores(slots: patient.vitalSlots.scores(at: at.millisecondsSince1970, windows: windows, scale2: scale2),
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

    /// Why a reading looks like an artefact, for the alert's `rules`.
    struct Suspicion {
        var reason: String
        var detail: JSONValue
    }

    /// The monitored parameters one probe or lead set gives together, and
    /// for each the other two (made once: this runs for every reading).
    static let monitored: [NEWS2.Parameter] = [.pulse, .respirationRate, .spo2]
    static let monitoredSiblings: [[NEWS2.Parameter]] = NEWS2.Parameter.allCases.sorted { $0.slot < $1.slot }.map { p in
        monitored.contains(p) ? monitored.filter { $0 != p } : []
    }

    /// Whether a change from `previous` to `x` within a few minutes is
    /// more than the body does: kind by kind, both an absolute and a
    /// relative step (a rise of SpO2 is recovery, never suspect).
    static func isJump(_ kind: ReadingKind, from previous: Double, to x: Double) -> Bool {
        let d = abs(x - previous)
        let relative = previous > 0 ? d / previous : 1
        switch kind {
        case .heartRate: return d >= 40 && relative >= 0.4
        // A respiration of 0 is the monitor's apnoea verdict (no breath in
        // its window), taken at its word; a low count that is not 0 after a
        // normal one is a miscount.
        case .respRate: return x != 0 && d >= 6 && relative >= 0.5
        case .spo2: return previous - x >= 10
        case .temperature: return d >= 1.5
        case .bloodPressure: return d >= 50 && relative >= 0.4
        default: return false
        }
    }

    func suspicion(_ reading: SensorReading, x: Double, parameter: NEWS2.Parameter, vitals: PatientVitals) -> Suspicion? {
        let kind = reading.kind
        let now = reading.ts.millisecondsSince1970
        // Without allocating: read the slots' ts, absence bits and numbers.
        func recent(_ p: NEWS2.Parameter) -> Bool {
            vitals.has(p) && now - vitals.milliseconds[p.slot] <= Self.artefactSpanMs
        }
        let others = Self.monitoredSiblings[parameter.slot]
        if !others.isEmpty, others.allSatisfy({ recent($0) && vitals.absent & (1 << $0.slot) != 0 }) {
            return Suspicion(reason: "suspected artefact: \(kind.rawValue) \(Self.text(x)) while \(others.map(\.rawValue).joined(separator: " and ")) read no signal (leads off)",
                             detail: ["rule": "artefact", "kind": .string(kind.rawValue), "value": .number(x), "suspect": "leads-off"])
        }
        if let pleth = reading.pleth, abs(x - pleth) > max(20, 0.3 * pleth) {
            return Suspicion(reason: "suspected artefact: ECG heart rate \(Self.text(x)) /min but the pulse oximeter counts \(Self.text(pleth))",
                             detail: ["rule": "artefact", "kind": .string(kind.rawValue), "value": .number(x), "suspect": "pleth", "pleth": .number(pleth)])
        }
        let before = vitals.numbers[parameter.slot]
        if recent(parameter), !before.isNaN, Self.isJump(kind, from: before, to: x) {
            let minutes = Self.text(Self.rounded(Double(now - vitals.milliseconds[parameter.slot]) / 60_000, 10))
            return Suspicion(reason: "suspected artefact: \(kind.rawValue) jumped from \(Self.text(before)) to \(Self.text(x)) in \(minutes) min",
                             detail: ["rule": "artefact", "kind": .string(kind.rawValue), "value": .number(x), "suspect": "jump", "previous": .number(before)])
        }
        return nil
    }

    private func evaluate(_ reading: SensorReading, patient: inout IngestState.Patient, ref: String?) -> Alert? {
        let kind = reading.kind
        let (rule, scale2) = rule(patient: reading.patient, kind: kind)
        let parameter = NEWS2.Parameter(kind: kind)
        let x = reading.primaryNumber
        let newest = parameter.map { !patient.vitalSlots.has($0) || patient.vitalSlots.ts($0) <= reading.ts } ?? false
        // Judged against the values before this one.
        let suspect: Suspicion? = if let x, let parameter, newest { suspicion(reading, x: x, parameter: parameter, vitals: patient.vitalSlots) } else { nil }
        if let parameter, newest {
            patient.vitalSlots.set(parameter, value: reading.value, numeric: NEWS2.number(parameter, value: reading.value), ts: reading.ts)
        }
        let news2 = Scores(slots: patient.vitalSlots.scores(at: reading.ts.millisecondsSince1970, windows: windows, scale2: scale2),
                           scale: scale2 ? 2 : 1)
        let risk = news2.risk
        let previousRisk = patient.risk
        patient.risk = risk
        // An absent reading is recorded and makes its parameter missing; it
        // has nothing to alert on.
        if reading.absent != nil { return nil }

        var reasons: [String] = []
        var details: [JSONValue] = []
        // Text only for the readings that give a reason.
        var shown: String { x.map(Self.text) ?? reading.value.canonicalString }
        var what: String { kind == .bloodPressure ? "systolic" : kind.rawValue }
        var unit: String { kind.unit == "1" ? "" : " \(kind.unit)" }

        // Baselines: judged against what was learned before this reading;
        // an artefact teaches them nothing.
        var deviation: (mean: Double, sd: Double, z: Double)?
        var drift: (direction: String, mean: Double, sd: Double, cusum: Double)?
        if let x, rule.baseline, kind != .oxygen, kind != .consciousness, suspect == nil {
            var b = patient.baselineSlots[kind] ?? Baseline()
            let floor = Baseline.sdFloor(kind)
            if b.n >= rule.learn {
                let sd = b.sd(floor: floor)
                let z = abs(x - b.mean) / sd
                if z > rule.z { deviation = (b.mean, sd, z) }
            }
            let admission: (mean: Double, sd: Double)? = rule.confirmed
                ?? (b.admissionN >= rule.learn ? (b.admissionMean, max(b.admissionSD, floor)) : nil)
            if let admission {
                let z = (x - admission.mean) / admission.sd
                b.cusumHigh = max(0, b.cusumHigh + z - rule.cusumK)
                b.cusumLow = max(0, b.cusumLow - z - rule.cusumK)
                if b.cusumHigh == 0 { b.latched &= ~1 }
                if b.cusumLow == 0 { b.latched &= ~2 }
                // SpO2 rising back is recovery, not deterioration.
                if b.cusumHigh > rule.cusumH, b.latched & 1 == 0, kind != .spo2 {
                    b.latched |= 1
                    drift = ("up", admission.mean, admission.sd, b.cusumHigh)
                } else if b.cusumLow > rule.cusumH, b.latched & 2 == 0 {
                    b.latched |= 2
                    drift = ("down", admission.mean, admission.sd, b.cusumLow)
                }
            } else {
                b.learnAdmission(x, learn: rule.learn)
            }
            b.add(x, alpha: rule.alpha)
            patient.baselineSlots[kind] = b
        }

        // The per-parameter dictionary only for a reading that alerts.
        var aggregate: NEWS2.Aggregate { news2.aggregate }
        if let parameter, let own = news2[parameter], own > 0 {
            let aggregate = aggregate
            let partialNote = aggregate.partial ? "; aggregate \(aggregate.total) is partial: \(aggregate.missing.count) of 7 parameters missing" : ""
            let band = NEWS2.band(parameter, value: reading.value, scale2: news2.scale == 2,
                                  onOxygen: patient.vitalSlots.onOxygen)
            let scaleNote = parameter == .spo2 ? " (scale \(news2.scale))" : ""
            var chartNote = ""
            var d: JSONValue = ["rule": "news2", "parameter": .string(parameter.rawValue), "kind": .string(kind.rawValue),
                                "value": reading.value, "score": .number(Double(own))]
            if let x, parameter != .consciousness, parameter != .airOrOxygen {
                let charted = NEWS2.chartedValue(x, parameter: parameter)
                if charted != x {
                    chartNote = " (charted \(Self.text(charted)))"
                    d = Self.adding("charted", .number(charted), to: d)
                }
            }
            reasons.append("\(what) \(shown)\(unit)\(chartNote) scores \(own) on NEWS2 (\(band?.label ?? "?")\(scaleNote))\(partialNote)")
            if let band { d = Self.adding("band", .string(band.label), to: d) }
            details.append(d)
        }
        if risk == .medium || risk == .high, Self.order(risk) > Self.order(previousRisk) {
            let aggregate = aggregate
            let missing = aggregate.missing.isEmpty ? "" : "; partial, missing: \(aggregate.missing.sorted().map(\.rawValue).joined(separator: ", "))"
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
        if let drift, let x {
            let word = drift.direction == "up" ? "rising" : "falling"
            reasons.append("\(what) \(shown)\(unit): sustained drift \(word) from the admission baseline \(Self.text(Self.rounded(drift.mean, 100))) ± \(Self.text(Self.rounded(drift.sd, 100))) (CUSUM \(Self.text(Self.rounded(drift.cusum, 10))) > \(Self.text(rule.cusumH)) SD)")
            details.append(["rule": "cusum", "kind": .string(kind.rawValue), "value": .number(x), "direction": .string(drift.direction),
                            "mean": .number(Self.rounded(drift.mean)), "sd": .number(Self.rounded(drift.sd)),
                            "cusum": .number(Self.rounded(drift.cusum)), "limit": .number(rule.cusumH)])
        }
        guard !reasons.isEmpty else { return nil }
        if let suspect {
            reasons.append(suspect.reason)
            details.append(suspect.detail)
        }
        let final = aggregate
        return Alert(reading: reading, level: risk, reasons: reasons, news2: final.json, rules: details, ref: ref,
                     partial: final.partial, artefact: suspect != nil)
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
