/// One reading through the whole gateway: admission (schema, MAC, replay,
/// time) and then the clinical rules, all against one `IngestState`.
public struct Gateway: Sendable {
    public var gate: ReadingGate
    public var engine: RuleEngine
    public var state: IngestState

    public init(gate: ReadingGate, engine: RuleEngine, state: IngestState = IngestState()) {
        self.gate = gate
        self.engine = engine
        self.state = state
    }

    /// `authenticated: false` for imports (FHIR, CSV), which carry no MAC.
    public mutating func process(_ json: JSONValue, authenticated: Bool = true) throws(RecordError) -> (reading: SensorReading, canonical: [UInt8], alert: Alert?) {
        try finish(gate.prepare(json, authenticated: authenticated))
    }

    /// The ordered half of `process`: replay and time against the state,
    /// then the clinical rules. `prepared` comes from `gate.prepare`, which
    /// needs no state and so may run on any thread, ahead of time.
    public mutating func finish(_ prepared: ReadingGate.Prepared) throws(RecordError) -> (reading: SensorReading, canonical: [UInt8], alert: Alert?) {
        let alert = try alert(for: prepared)
        return (prepared.reading, prepared.canonical, alert)
    }

    /// `finish` returning only the alert: the caller has the rest in
    /// `prepared`, and copying the reading out costs more than judging it.
    public mutating func alert(for prepared: ReadingGate.Prepared) throws(RecordError) -> Alert? {
        let reading = prepared.reading
        if prepared.usedPreviousKey { gate.notePreviousKeyUse() }
        let device = try gate.admitOrder(reading, state: &state)
        let patient = state.patientSlot(reading.patient, device: device)
        // The reference is hashed only for the rare reading that alerts.
        guard let alert = engine.evaluate(reading, patient: patient, state: &state) else { return nil }
        return Alert(reading: reading, level: alert.level, reasons: alert.reasons, news2: alert.news2,
                     rules: alert.rules, ref: SHA256.hash(prepared.canonical).hex, partial: alert.partial, artefact: alert.artefact)
    }
}
