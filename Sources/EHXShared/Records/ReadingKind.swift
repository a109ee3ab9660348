/// The vital signs a sensor may report (DESIGN "Records"), with their UCUM
/// unit and the range a live patient can physically produce. A value outside
/// that range is a broken sensor or a forgery, so it is rejected, not alerted.
public enum ReadingKind: String, CaseIterable, Sendable {
    case heartRate = "heart_rate"
    case temperature
    case spo2
    case respRate = "resp_rate"
    case bloodPressure = "blood_pressure"
    case emg
    case consciousness
    case oxygen

    /// UCUM code that the reading's `unit` must equal.
    public var unit: String {
        switch self {
        case .heartRate, .respRate: return "/min"
        case .temperature: return "Cel"
        case .spo2: return "%"
        case .bloodPressure: return "mm[Hg]"
        case .emg: return "mV"
        case .consciousness, .oxygen: return "1"
        }
    }

    /// Physically possible limits (inclusive) for numeric kinds. Wide on
    /// purpose: extremes that a patient survives, even briefly, must reach
    /// the alerting stage instead of vanishing as rejects.
    public var possibleRange: ClosedRange<Double>? {
        switch self {
        case .heartRate: return 1...350
        case .temperature: return 20...46
        case .spo2: return 1...100
        case .respRate: return 0...100
        case .emg: return 0...100
        case .bloodPressure, .consciousness, .oxygen: return nil
        }
    }

    public static let systolicRange: ClosedRange<Double> = 30...320
    public static let diastolicRange: ClosedRange<Double> = 10...250
    public static let consciousnessLevels: Set<String> = ["A", "C", "V", "P", "U"]

    /// `parse` on the name's UTF-8 bytes. The kinds' names begin with
    /// different letters, so one comparison decides a well-formed reading.
    static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(RecordError) -> ReadingKind {
        if let first = bytes.first, let kind = byInitial[Int(first)], kind.rawValue.utf8Equals(bytes) {
            return kind
        }
        return try parse(String(decoding: bytes, as: UTF8.self))
    }

    /// The kind each first byte can only be; none where two kinds share one.
    private static let byInitial: [ReadingKind?] = (0..<256).map { byte in
        let kinds = allCases.filter { $0.rawValue.utf8.first == UInt8(byte) }
        return kinds.count == 1 ? kinds[0] : nil
    }

    /// "heart_rate", or an error naming the field and listing the kinds there are.
    public static func parse(_ text: String) throws(RecordError) -> ReadingKind {
        guard let kind = ReadingKind(rawValue: text) else {
            throw RecordError(.kind, field: "kind", "unknown kind \(EchoedText.quoted(text)) (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return kind
    }
}
