/// The gateway's admission check for one reading: schema and range, the
/// device MAC (current key, or the previous one inside its rotation grace
/// window), replay (seq must rise per device, across runs when the state is
/// kept) and time (not beyond `maxSkew` in the future, not older than the
/// device's last accepted reading).
public struct ReadingGate: Sendable {
    public static let defaultMaxSkewMs: Int64 = 5 * 60_000

    private let keys: PSKFile
    public var maxSkewMs: Int64
    /// The gateway's time; nil means the clock, read per reading.
    public var fixedNow: Timestamp?
    public private(set) var previousKeyUses = 0
    /// Replay memory for callers that keep no state of their own.
    private var runState = IngestState()

    public init(keys: PSKFile, maxSkewMs: Int64 = defaultMaxSkewMs, now: Timestamp? = nil) {
        self.keys = keys
        self.maxSkewMs = maxSkewMs
        self.fixedNow = now
    }

    public var now: Timestamp { fixedNow ?? .now() }

    /// With the gate's own replay memory (this process only).
    public mutating func admit(_ json: JSONValue) throws(RecordError) -> SensorReading {
        var state = runState
        defer { runState = state }
        return try admit(json, state: &state)
    }

    public mutating func admit(_ json: JSONValue, state: inout IngestState) throws(RecordError) -> SensorReading {
        let reading = try SensorReading(parsing: json)
        try authenticate(reading)
        try admitOrder(reading, state: &state)
        return reading
    }

    public mutating func authenticate(_ reading: SensorReading) throws(RecordError) {
        if try verifyMAC(reading, input: DeviceMAC.input(reading.object)) { notePreviousKeyUse() }
    }

    /// The stateless part of admitting a reading, safe on any thread: the
    /// schema, the MAC (when `authenticated`) and the canonical form that
    /// ehx-ingest writes. `Gateway.finish` does the rest, in input order.
    public struct Prepared: Sendable {
        public let reading: SensorReading
        /// The reading's canonical bytes, `mac` included.
        public let canonical: [UInt8]
        /// The MAC verified only under the device's previous key.
        public let usedPreviousKey: Bool
    }

    public func prepare(_ json: JSONValue, authenticated: Bool) throws(RecordError) -> Prepared {
        let reading = try SensorReading(parsing: json)
        // One serialization gives both the output and the MAC's input (the
        // same object without `mac`).
        let forms = JSONValue.canonicalObject(reading.object, omitting: "mac")
        var usedPreviousKey = false
        if authenticated {
            usedPreviousKey = try verifyMAC(reading, input: forms.without)
        } else if reading.mac != nil {
            throw RecordError(field: "mac", "imported readings carry no mac")
        }
        return Prepared(reading: reading, canonical: forms.full, usedPreviousKey: usedPreviousKey)
    }

    /// Counts a reading that `prepare` found MACed with a rotated key.
    public mutating func notePreviousKeyUse() { previousKeyUses += 1 }

    /// Throws unless the MAC verifies; true when only the previous key did.
    private func verifyMAC(_ reading: SensorReading, input: [UInt8]) throws(RecordError) -> Bool {
        guard reading.mac != nil else { throw RecordError(field: "mac", "missing: readings must be authenticated by their device") }
        guard let key = keys.key(for: reading.device) else {
            throw RecordError(field: "device", "unknown device \"\(reading.device)\" (not in the PSK file)")
        }
        if reading.hasValidMAC(key: key, input: input) { return false }
        if let old = keys.previousKey(for: reading.device, at: now), reading.hasValidMAC(key: old, input: input) {
            return true
        }
        throw RecordError(field: "mac", "does not verify under device \(reading.device)'s key")
    }

    /// Replay and time checks; on success records the reading as the
    /// device's last and returns the device's slot in `state`.
    @discardableResult
    public func admitOrder(_ reading: SensorReading, state: inout IngestState) throws(RecordError) -> Int {
        let limit = now.millisecondsSince1970 + maxSkewMs
        if reading.ts.millisecondsSince1970 > limit {
            throw RecordError(field: "ts", "\(reading.ts) is more than \(DurationArgument.describe(maxSkewMs)) ahead of the gateway's clock (\(now))")
        }
        let current = IngestState.Device(seq: reading.seq, ts: reading.ts)
        // One hashed lookup: the record is then updated in place.
        guard let slot = state.deviceSlot(reading.device) else { return state.addDevice(reading.device, current) }
        let last = state.deviceRecords[slot].last
        guard reading.seq > last.seq else {
            throw RecordError(field: "seq", "replay: device \(reading.device) seq \(reading.seq) is not above its last seq \(last.seq)")
        }
        guard reading.ts >= last.ts else {
            throw RecordError(field: "ts", "\(reading.ts) is older than device \(reading.device)'s last accepted reading (\(last.ts))")
        }
        state.deviceRecords[slot].last = current
        return slot
    }
}
