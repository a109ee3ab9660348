/// The National Early Warning Score 2 (Royal College of Physicians, 2017).
/// The bands are published facts, embedded here with the chart's gap-free
/// continuous bounds (`value > gt` and `value <= le`). A value is scored as
/// the chart would record it: at the chart's resolution (whole numbers;
/// temperature 0.1 Cel), to the nearest charted value, and a value halfway
/// between two takes the worse score of the two, so a sensor's 8.4 /min
/// scores as the 8 a nurse would chart (3), never as the 9 (1). Tests check
/// every edge against ../shared/data/news2.json.
public enum NEWS2 {
    /// The seven NEWS2 parameters, named as in news2.json.
    public enum Parameter: String, CaseIterable, Sendable, Comparable {
        case respirationRate = "respiration_rate"
        case spo2
        case airOrOxygen = "air_or_oxygen"
        case systolicBP = "systolic_bp"
        case pulse
        case consciousness
        case temperature

        public static func < (a: Parameter, b: Parameter) -> Bool { a.rawValue < b.rawValue }

        /// The parameter's index in `allCases`.
        var slot: Int {
            switch self {
            case .respirationRate: return 0
            case .spo2: return 1
            case .airOrOxygen: return 2
            case .systolicBP: return 3
            case .pulse: return 4
            case .consciousness: return 5
            case .temperature: return 6
            }
        }

        /// The parameter a reading kind feeds, if any (emg feeds none).
        public init?(kind: ReadingKind) {
            switch kind {
            case .heartRate: self = .pulse
            case .respRate: self = .respirationRate
            case .spo2: self = .spo2
            case .bloodPressure: self = .systolicBP
            case .temperature: self = .temperature
            case .consciousness: self = .consciousness
            case .oxygen: self = .airOrOxygen
            case .emg: return nil
            }
        }
    }

    /// One continuous band: scores `score` when gt < value <= le (nil: unbounded).
    public struct Band: Sendable, Equatable {
        public let gt: Double?
        public let le: Double?
        public let score: Int
        public let label: String

        public func contains(_ v: Double) -> Bool {
            (gt.map { v > $0 } ?? true) && (le.map { v <= $0 } ?? true)
        }
    }

    public static let respirationRate: [Band] = [
        Band(gt: nil, le: 8, score: 3, label: "<=8"),
        Band(gt: 8, le: 11, score: 1, label: "9-11"),
        Band(gt: 11, le: 20, score: 0, label: "12-20"),
        Band(gt: 20, le: 24, score: 2, label: "21-24"),
        Band(gt: 24, le: nil, score: 3, label: ">=25"),
    ]
    public static let spo2Scale1: [Band] = [
        Band(gt: nil, le: 91, score: 3, label: "<=91"),
        Band(gt: 91, le: 93, score: 2, label: "92-93"),
        Band(gt: 93, le: 95, score: 1, label: "94-95"),
        Band(gt: 95, le: nil, score: 0, label: ">=96"),
    ]
    /// Scale 2 below 93 %, whatever the patient breathes.
    public static let spo2Scale2Any: [Band] = [
        Band(gt: nil, le: 83, score: 3, label: "<=83"),
        Band(gt: 83, le: 85, score: 2, label: "84-85"),
        Band(gt: 85, le: 87, score: 1, label: "86-87"),
        Band(gt: 87, le: 92, score: 0, label: "88-92"),
    ]
    public static let spo2Scale2Air: [Band] = [
        Band(gt: 92, le: nil, score: 0, label: ">=93 on air"),
    ]
    public static let spo2Scale2Oxygen: [Band] = [
        Band(gt: 92, le: 94, score: 1, label: "93-94 on oxygen"),
        Band(gt: 94, le: 96, score: 2, label: "95-96 on oxygen"),
        Band(gt: 96, le: nil, score: 3, label: ">=97 on oxygen"),
    ]
    public static let systolicBP: [Band] = [
        Band(gt: nil, le: 90, score: 3, label: "<=90"),
        Band(gt: 90, le: 100, score: 2, label: "91-100"),
        Band(gt: 100, le: 110, score: 1, label: "101-110"),
        Band(gt: 110, le: 219, score: 0, label: "111-219"),
        Band(gt: 219, le: nil, score: 3, label: ">=220"),
    ]
    public static let pulse: [Band] = [
        Band(gt: nil, le: 40, score: 3, label: "<=40"),
        Band(gt: 40, le: 50, score: 1, label: "41-50"),
        Band(gt: 50, le: 90, score: 0, label: "51-90"),
        Band(gt: 90, le: 110, score: 1, label: "91-110"),
        Band(gt: 110, le: 130, score: 2, label: "111-130"),
        Band(gt: 130, le: nil, score: 3, label: ">=131"),
    ]
    public static let temperature: [Band] = [
        Band(gt: nil, le: 35.0, score: 3, label: "<=35.0"),
        Band(gt: 35.0, le: 36.0, score: 1, label: "35.1-36.0"),
        Band(gt: 36.0, le: 38.0, score: 0, label: "36.1-38.0"),
        Band(gt: 38.0, le: 39.0, score: 1, label: "38.1-39.0"),
        Band(gt: 39.0, le: nil, score: 2, label: ">=39.1"),
    ]

    static func band(_ value: Double, in bands: [Band]) -> Band? {
        bands.first { $0.contains(value) }
    }

    /// A parameter's band for a value, or nil when the value cannot be scored
    /// (scale 2 at 93 % or more needs to know air or oxygen: `onOxygen` nil).
    public static func band(_ parameter: Parameter, value: JSONValue, scale2: Bool = false, onOxygen: Bool? = nil) -> Band? {
        switch parameter {
        case .consciousness:
            guard let letter = value.stringValue else { return nil }
            return letter == "A" ? Band(gt: nil, le: nil, score: 0, label: "Alert")
                : Band(gt: nil, le: nil, score: 3, label: "CVPU")
        case .airOrOxygen:
            guard let on = value.boolValue else { return nil }
            return on ? Band(gt: nil, le: nil, score: 2, label: "Oxygen") : Band(gt: nil, le: nil, score: 0, label: "Air")
        case .systolicBP:
            guard let s = number(parameter, value: value) else { return nil }
            return charted(s, step: 1) { band($0, in: systolicBP) }
        default:
            guard let v = value.numberValue else { return nil }
            switch parameter {
            case .respirationRate: return charted(v, step: 1) { band($0, in: respirationRate) }
            case .pulse: return charted(v, step: 1) { band($0, in: pulse) }
            case .temperature: return charted(v, step: 0.1) { band($0, in: temperature) }
            case .spo2: return charted(v, step: 1) { spo2BandAtChart($0, scale2: scale2, onOxygen: onOxygen) }
            default: return nil
            }
        }
    }

    /// The chart's recording step of a numeric parameter.
    public static func step(_ parameter: Parameter) -> Double { parameter == .temperature ? 0.1 : 1 }

    /// The value as charted: the nearest multiple of the parameter's step
    /// (a halfway value is shown as the lower one; it scores the worse).
    public static func chartedValue(_ value: Double, parameter: Parameter) -> Double {
        let step = step(parameter)
        let x = value / step
        let lower = (x + 1e-9).rounded(.down)
        let r = abs(x - lower - 0.5) < 1e-9 ? lower : x.rounded()
        return step == 1 ? r : r / (1 / step)
    }

    /// The band of `value` charted at `step`: the nearest charted value's
    /// band; halfway between two, the worse of their bands. Never more
    /// lenient than the chart at a dangerous edge.
    static func charted(_ value: Double, step: Double, _ score: (Double) -> Band?) -> Band? {
        let x = value / step
        let lower = (x + 1e-9).rounded(.down)
        // Grid values are made by division so that 35.0 is exactly 350 / 10.
        func grid(_ n: Double) -> Double { step == 1 ? n : n / (1 / step) }
        if abs(x - lower - 0.5) < 1e-9 {
            let a = score(grid(lower)), b = score(grid(lower + 1))
            guard let a, let b else { return a ?? b }
            return b.score > a.score ? b : a
        }
        return score(grid(x.rounded()))
    }

    public static func score(_ parameter: Parameter, value: JSONValue, scale2: Bool = false, onOxygen: Bool? = nil) -> Int? {
        band(parameter, value: value, scale2: scale2, onOxygen: onOxygen)?.score
    }

    /// The number a parameter's value is scored by: a blood pressure's
    /// systolic (or a plain number), every other value as it is.
    static func number(_ parameter: Parameter, value: JSONValue) -> Double? {
        parameter == .systolicBP ? value.systolic ?? value.numberValue : value.numberValue
    }

    /// SpO2's band on scale 1 or 2 as charted (whole percent); on scale 2 a
    /// value of 93 % or more needs to know air or oxygen (`onOxygen` nil:
    /// unscorable).
    static func spo2Band(_ value: Double, scale2: Bool, onOxygen: Bool?) -> Band? {
        charted(value, step: 1) { spo2BandAtChart($0, scale2: scale2, onOxygen: onOxygen) }
    }

    private static func spo2BandAtChart(_ value: Double, scale2: Bool, onOxygen: Bool?) -> Band? {
        guard scale2 else { return band(value, in: spo2Scale1) }
        if let b = band(value, in: spo2Scale2Any) { return b }
        guard let onOxygen else { return nil }
        return band(value, in: onOxygen ? spo2Scale2Oxygen : spo2Scale2Air)
    }

    /// NEWS2 clinical risk: high if aggregate ≥ 7; else medium if ≥ 5; else
    /// low-medium if any single parameter scores 3; else low.
    public static func risk(aggregate: Int, anyThree: Bool) -> Alert.Level {
        if aggregate >= 7 { return .high }
        if aggregate >= 5 { return .medium }
        if anyThree { return .lowMedium }
        return .low
    }

    /// The aggregate over whatever parameters were present and fresh.
    public struct Aggregate: Sendable, Equatable {
        public var scores: [Parameter: Int]
        /// Parameters with no fresh value in the window, never scored as 0.
        public var missing: [Parameter]
        public var scale: Int

        public var total: Int { scores.values.reduce(0, +) }
        public var anyThree: Bool { scores.values.contains(3) }
        public var risk: Alert.Level { NEWS2.risk(aggregate: total, anyThree: anyThree) }
        /// Scored from fewer than all seven parameters: the total and risk
        /// are a floor, never a reassurance.
        public var partial: Bool { !missing.isEmpty }

        public var json: JSONValue {
            var s: [String: JSONValue] = [:]
            for (p, v) in scores { s[p.rawValue] = .number(Double(v)) }
            return [
                "score": .number(Double(total)), "risk": .string(risk.rawValue), "scale": .number(Double(scale)),
                "scores": .object(s), "missing": .array(missing.sorted().map { .string($0.rawValue) }),
                "partial": .bool(partial),
            ]
        }
    }
}
