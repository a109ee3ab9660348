/// A patient's own running mean and variance for one kind: exponentially
/// weighted, with weight max(alpha, 1/n) so the first readings build a plain
/// mean and later ones follow slow drift. Welford-style update (West 1979).
public struct Baseline: Sendable, Equatable {
    public var n: Int
    public var mean: Double
    public var variance: Double

    public init(n: Int = 0, mean: Double = 0, variance: Double = 0) {
        self.n = n
        self.mean = mean
        self.variance = variance
    }

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
        ["n": .number(Double(n)), "mean": .number(mean), "var": .number(variance)]
    }

    public init?(json: JSONValue) {
        guard let n = json["n"]?.integerValue, n >= 0, let m = json["mean"]?.numberValue,
              let v = json["var"]?.numberValue, v >= 0, m.isFinite, v.isFinite else { return nil }
        self.init(n: Int(n), mean: m, variance: v)
    }
}
