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
        guard reading.mac != nil else { throw RecordError(field: "mac", "missing: readings must be authenticated by their device") }
        guard let key = keys.key(for: reading.device) else {
            throw RecordError(field: "device", "unknown device \"\(reading.device)\" (not in the PSK file)")
        }
        if reading.hasValidMAC(key: key) { return }
        if let old = keys.previousKey(for: reading.device, at: now), reading.hasValidMAC(key: old) {
            previousKeyUses += 1
            return
        }
        throw RecordError(field: "mac", "does not verify under device \(reading.device)'s key")
    }

    /// Replay and time checks; on success records the reading as the device's last.
    public func admitOrder(_ reading: SensorReading, state: inout IngestState) throws(RecordError) {
        let limit = now.millisecondsSince1970 + maxSkewMs
        if reading.ts.millisecondsSince1970 > limit {
            throw RecordError(field: "ts", "\(reading.ts) is more than \(DurationArgument.describe(maxSkewMs)) ahead of the gateway's clock (\(now))")
        }
        if let last = state.devices[reading.device] {
            guard reading.seq > last.seq else {
                throw RecordError(field: "seq", "replay: device \(reading.device) seq \(reading.seq) is not above its last seq \(last.seq)")
            }
            guard reading.ts >= last.ts else {
                throw RecordError(field: "ts", "\(reading.ts) is older than device \(reading.device)'s last accepted reading (\(last.ts))")
            }
        }
        state.devices[reading.device] = IngestState.Device(seq: reading.seq, ts: reading.ts)
    }
}
