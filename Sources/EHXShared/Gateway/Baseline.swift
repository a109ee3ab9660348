/// A patient's own running mean and variance for one kind: exponentially
/// weighted, with weight max(alpha, 1/n) so the first readings build a plain
/// mean and later ones follow slow drift. Welford-style update (West 1979).
///
/// Beside it, the admission baseline: the plain mean and spread of the
/// first readings (Welford), frozen once learned, and the two one-sided
/// CUSUMs of later readings against it. The moving baseline follows a slow
/// drift; the admission one does not, so the CUSUM catches it.
public struct Baseline: Sendable, Equatable {
    public var n: Int
    public var mean: Double
    public var variance: Double
    public var admissionN = 0
    public var admissionMean = 0.0
    public var admissionM2 = 0.0
    public var cusumHigh = 0.0
    public var cusumLow = 0.0
    /// Bit 0: the rising CUSUM has alerted and waits to fall back to 0
    /// before it may alert again; bit 1: the falling one.
    public var latched: UInt8 = 0

    public init(n: Int = 0, mean: Double = 0, variance: Double = 0) {
        self.n = n
        self.mean = mean
        self.variance = variance
    }

    /// Adds a reading to the admission baseline until `learn` are in.
    public mutating func learnAdmission(_ x: Double, learn: Int) {
        guard admissionN < learn else { return }
        admissionN += 1
        let d = x - admissionMean
        admissionMean += d / Double(admissionN)
        admissionM2 += d * (x - admissionMean)
    }

    /// The admission standard deviation (population), before any floor.
    public var admissionSD: Double { admissionN > 0 ? (admissionM2 / Double(admissionN)).squareRoot() : 0 }

    public mutating func add(_ x: Double, alpha: Double) {
        n += 1
        let a = max(alpha, 1 / Double(n))
        let diff = x - mean
        let increment = a * diff
        mean += increment
        variance = (1 - a) * (variance + diff * increment)
    }

    /// The smallest standard deviation a baseline is judged with, so a
    /// patient whose readings were all equal does not alert on the next
    /// tick of the sensor's resolution.
    public static func sdFloor(_ kind: ReadingKind) -> Double {
        switch kind {
        case .heartRate: return 2
        case .respRate: return 1
        case .spo2: return 1
        case .temperature: return 0.2
        case .bloodPressure: return 4
        case .emg: return 0.01
        case .consciousness, .oxygen: return 1
        }
    }

    public func sd(floor: Double) -> Double { max(variance.squareRoot(), floor) }

    public var json: JSONValue {
        var m: [String: JSONValue] = ["n": .number(Double(n)), "mean": .number(mean), "var": .number(variance)]
        if admissionN > 0 {
            m["admission"] = ["n": .number(Double(admissionN)), "mean": .number(admissionMean), "m2": .number(admissionM2)]
        }
        if cusumHigh != 0 || cusumLow != 0 || latched != 0 {
            m["cusum"] = ["high": .number(cusumHigh), "low": .number(cusumLow), "latched": .number(Double(latched))]
        }
        return .object(m)
    }

    public init?(json: JSONValue) {
        guard let n = json["n"]?.integerValue, n >= 0, let m = json["mean"]?.numberValue,
              let v = json["var"]?.numberValue, v >= 0, m.isFinite, v.isFinite else { return nil }
        self.init(n: Int(n), mean: m, variance: v)
        if let a = json["admission"] {
            guard let an = a["n"]?.integerValue, an >= 0, let am = a["mean"]?.numberValue, let m2 = a["m2"]?.numberValue,
                  am.isFinite, m2.isFinite, m2 >= 0 else { return nil }
            admissionN = Int(an); admissionMean = am; admissionM2 = m2
        }
        if let c = json["cusum"] {
            guard let hi = c["high"]?.numberValue, let lo = c["low"]?.numberValue, let l = c["latched"]?.integerValue,
                  hi.isFinite, lo.isFinite, hi >= 0, lo >= 0, (0...3).contains(l) else { return nil }
            cusumHigh = hi; cusumLow = lo; latched = UInt8(l)
        }
    }
}
