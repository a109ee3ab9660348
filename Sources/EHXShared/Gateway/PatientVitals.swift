/// A patient's latest value of each NEWS2 parameter in fixed slots
/// (`Parameter.slot`) instead of a dictionary, because ehx-ingest updates and
/// scores them once per reading. A value's score is worked out once, when it
/// is stored; only SpO2's waits for the judging, since it depends on the
/// patient's scale and on air or oxygen at that time.
struct PatientVitals: Sendable {
    /// Bit `slot` set: the parameter has a value.
    private(set) var present: UInt8 = 0
    /// Each value's ts in milliseconds since 1970.
    private(set) var milliseconds = SIMD8<Int64>(repeating: 0)
    /// Each value's score, one byte per slot (0xFF when absent or
    /// unscorable; always for SpO2): a register, where SIMD lanes written
    /// one by one spill to the stack.
    private(set) var scores = UInt64.max
    /// The SpO2 value, when it is a number.
    private(set) var spo2: Double?
    /// The air-or-oxygen value, when it is a boolean.
    private(set) var onOxygen: Bool?
    /// Bit `slot` set: the latest value is an absent reading's null.
    private(set) var absent: UInt8 = 0
    /// Each value's number as NEWS2 scores it (systolic for BP), NaN when
    /// it has none: the artefact checks compare with it on every reading.
    private(set) var numbers = SIMD8<Double>(repeating: .nan)
    // The values as received, for the state file and `IngestState.Patient.vitals`.
    private var respirationRate: JSONValue = .null
    private var spo2Value: JSONValue = .null
    private var airOrOxygen: JSONValue = .null
    private var systolicBP: JSONValue = .null
    private var pulse: JSONValue = .null
    private var consciousness: JSONValue = .null
    private var temperature: JSONValue = .null

    // Inlined, as are `ts` and `scores`: called on a large struct, they
    // would otherwise get a copy of all of it first.
    @inline(__always)
    func has(_ parameter: NEWS2.Parameter) -> Bool { present & (1 << parameter.slot) != 0 }

    @inline(__always)
    func ts(_ parameter: NEWS2.Parameter) -> Timestamp {
        Timestamp(millisecondsSince1970: milliseconds[parameter.slot])
    }

    subscript(_ parameter: NEWS2.Parameter) -> IngestState.Vital? {
        guard has(parameter) else { return nil }
        return IngestState.Vital(value: value(parameter), ts: ts(parameter))
    }

    private func value(_ parameter: NEWS2.Parameter) -> JSONValue {
        switch parameter {
        case .respirationRate: return respirationRate
        case .spo2: return spo2Value
        case .airOrOxygen: return airOrOxygen
        case .systolicBP: return systolicBP
        case .pulse: return pulse
        case .consciousness: return consciousness
        case .temperature: return temperature
        }
    }

    /// `numeric` must be `NEWS2.number(parameter, value: value)`; a
    /// reading's caller has it already and so spares the lookup.
    mutating func set(_ parameter: NEWS2.Parameter, value: JSONValue, numeric: Double?, ts: Timestamp) {
        let slot = parameter.slot
        present |= 1 << slot
        milliseconds[slot] = ts.millisecondsSince1970
        if case .null = value { absent |= 1 << slot } else { absent &= ~(1 << slot) }
        numbers[slot] = numeric ?? .nan
        switch parameter {
        case .respirationRate: respirationRate = value
        case .spo2:
            spo2 = numeric
            spo2Value = value
        case .airOrOxygen:
            onOxygen = value.boolValue
            airOrOxygen = value
        case .systolicBP: systolicBP = value
        case .pulse: pulse = value
        case .consciousness: consciousness = value
        case .temperature: temperature = value
        }
        // SpO2 is scored when judged (scale and air or oxygen decide); every
        // other score depends on the value alone.
        let score = parameter == .spo2 ? nil : NEWS2.score(parameter, value: value)
        scores = Self.replacing(slot, in: scores, with: score)
    }

    /// `packed` with byte `slot` set to `score`, 0xFF for nil.
    static func replacing(_ slot: Int, in packed: UInt64, with score: Int?) -> UInt64 {
        let shift = UInt64(slot * 8)
        return packed & ~(0xFF << shift) | UInt64(UInt8(truncatingIfNeeded: score ?? -1)) << shift
    }

    /// The scores of the values no older than their parameter's freshness
    /// (`windows`, by slot) before `now`, one byte per slot (0xFF: missing),
    /// each as `NEWS2.score` gives it. An absent reading's null is missing.
    @inline(__always)
    func scores(at now: Int64, windows: SIMD8<Int64>, scale2: Bool) -> UInt64 {
        // An absent slot is missing whatever its (zero) ts says. Timestamps
        // lie within years 1970...9999, so the differences cannot wrap.
        var stale: UInt64 = 0
        for slot in 0..<NEWS2.Parameter.allCases.count where now &- milliseconds[slot] > windows[slot] {
            stale |= 0xFF << UInt64(slot * 8)
        }
        var result = scores | stale
        let s = NEWS2.Parameter.spo2.slot
        if let spo2, now &- milliseconds[s] <= windows[s] {
            let air = NEWS2.Parameter.airOrOxygen.slot
            let oxygen = now &- milliseconds[air] <= windows[air] ? onOxygen : nil
            result = Self.replacing(s, in: result, with: NEWS2.spo2Band(spo2, scale2: scale2, onOxygen: oxygen)?.score)
        }
        return result
    }
}
