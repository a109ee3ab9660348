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
        let reading = prepared.reading
        if prepared.usedPreviousKey { gate.notePreviousKeyUse() }
        try gate.admitOrder(reading, state: &state)
        let canonical = prepared.canonical
        // The reference is hashed only for the rare reading that alerts.
        guard let alert = engine.evaluate(reading, state: &state) else { return (reading, canonical, nil) }
        let referenced = Alert(reading: reading, level: alert.level, reasons: alert.reasons, news2: alert.news2,
                               rules: alert.rules, ref: SHA256.hash(canonical).hex)
        return (reading, canonical, referenced)
    }
}
