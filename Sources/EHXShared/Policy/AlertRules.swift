/// The gateway's fixed abnormal-value rules: a reading alerts when it falls
/// in a NEWS2 (RCP 2017) band that scores 3, the chart's own single-parameter
/// red trigger, whose clinical risk NEWS2 calls low-medium. The adaptive
/// per-patient engine replaces these later; the bands are published facts.
public enum AlertRules {
    struct Band: Sendable {
        let kind: ReadingKind
        let test: @Sendable (Double) -> Bool
        let text: String
    }

    static let redBands: [Band] = [
        Band(kind: .heartRate, test: { $0 <= 40 }, text: "≤ 40"),
        Band(kind: .heartRate, test: { $0 > 130 }, text: "≥ 131"),
        Band(kind: .respRate, test: { $0 <= 8 }, text: "≤ 8"),
        Band(kind: .respRate, test: { $0 > 24 }, text: "≥ 25"),
        Band(kind: .spo2, test: { $0 <= 91 }, text: "≤ 91 (scale 1)"),
        Band(kind: .bloodPressure, test: { $0 <= 90 }, text: "systolic ≤ 90"),
        Band(kind: .bloodPressure, test: { $0 > 219 }, text: "systolic ≥ 220"),
        Band(kind: .temperature, test: { $0 <= 35 }, text: "≤ 35.0"),
    ]

    /// The alert a reading raises, or nil when it is unremarkable.
    public static func evaluate(_ reading: SensorReading) -> Alert? {
        var reasons: [String] = []
        if reading.kind == .consciousness, let level = reading.value.stringValue, level != "A" {
            reasons.append("consciousness \(level) (not alert) scores 3 on NEWS2")
        }
        if let number = reading.primaryNumber {
            for band in redBands where band.kind == reading.kind && band.test(number) {
                reasons.append("\(reading.kind.rawValue) \(JCS.serialize(number: number)) \(reading.kind.unit) scores 3 on NEWS2 (\(band.text))")
            }
        }
        return reasons.isEmpty ? nil : Alert(reading: reading, level: .lowMedium, reasons: reasons)
    }
}
