/// A patient's NEWS2 aggregate after each reading, scored as the gateway
/// scores it (the same freshness per parameter, chart resolution and SpO2
/// scale, from the same `RuleEngine`), for pages that redraw it from the
/// chain. Readings must come in time order; an absent one (value null)
/// makes its parameter missing, as at the gateway.
public struct NEWS2Timeline: Sendable {
    private let engine: RuleEngine
    private let scale2: Bool
    private var patient = IngestState.Patient()

    public init(engine: RuleEngine, patient: String, scale2: Bool? = nil) {
        self.engine = engine
        self.scale2 = scale2 ?? engine.scale2(patient: patient)
    }

    /// The aggregate right after a reading of `kind` at `ts`; nil for a kind
    /// that feeds no NEWS2 parameter (EMG).
    public mutating func add(kind: ReadingKind, value: JSONValue, ts: Timestamp) -> NEWS2.Aggregate? {
        guard let parameter = NEWS2.Parameter(kind: kind) else { return nil }
        if !patient.vitalSlots.has(parameter) || patient.vitalSlots.ts(parameter) <= ts {
            patient.vitalSlots.set(parameter, value: value, numeric: NEWS2.number(parameter, value: value), ts: ts)
        }
        return engine.scores(patient, scale2: scale2, at: ts).aggregate
    }
}
