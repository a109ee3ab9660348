#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gateway's admission check for one reading: schema and range, the
/// device MAC (current key, or the previous one inside its rotation grace
/// window), replay (seq must rise per device, across runs when the state is
/// kept) and time (not beyond `maxSkew` in the future, not older than the
/// device's last accepted reading).
public struct ReadingGate: Sendable {
    public static let defaultMaxSkewMs: Int64 = 5 * 60_000

    private var keys: PSKFile
    private var macs: DeviceMACCheckers
    public var maxSkewMs: Int64
    /// The gateway's time; nil means the clock, read per reading.
    public var fixedNow: Timestamp?
    /// Re-processing an archive (`ehx-ingest --archive`): there is no
    /// gateway clock to judge a reading's time by, only the readings
    /// before it; the device's order (never older than its last accepted
    /// reading) still holds, and PSK grace windows are judged at the
    /// reading's own time.
    public var archive = false
    /// With `archive`: how far past the archive's latest reading a time
    /// may lie before it is taken for corrupt (see `ArchiveClock`).
    public var archiveMaxGapMs = ArchiveClock.defaultMaxGapMs
    public private(set) var previousKeyUses = 0
    /// Replay memory for callers that keep no state of their own.
    private var runState = IngestState()

    /// `workers`: how many threads will call `prepare` with a worker index.
    public init(keys: PSKFile, maxSkewMs: Int64 = defaultMaxSkewMs, now: Timestamp? = nil, workers: Int = ParallelStage.onlineCores) {
        self.keys = keys
        self.macs = DeviceMACCheckers(keys: keys, workers: workers)
        self.maxSkewMs = maxSkewMs
        self.fixedNow = now
    }

    /// The keys of a PSK file read again (see PSKWatcher); replay memory
    /// and counts stay.
    public mutating func reload(keys: PSKFile, workers: Int) {
        self.keys = keys
        macs = DeviceMACCheckers(keys: keys, workers: workers)
    }

    /// Skew and grace windows are minutes long, so the clock's tick is
    /// precise enough (see `Timestamp.coarseNow`).
    public var now: Timestamp { fixedNow ?? .coarseNow() }

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
        if try verifyMAC(reading, form: reading.canonicalForm(), worker: nil) { notePreviousKeyUse() }
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

    /// `worker`: this thread's index among the `workers` the gate was made
    /// for (each keeps its own ready MAC keys); nil when it is none of them.
    public func prepare(_ json: JSONValue, authenticated: Bool, worker: Int? = nil) throws(RecordError) -> Prepared {
        try prepare(SensorReading(parsing: json), authenticated: authenticated, worker: worker)
    }

    /// `prepare` for one line of JSON text, with the reading read straight
    /// from the parsed tree (the gateway's hot path).
    public func prepare(line: UnsafeRawBufferPointer, authenticated: Bool, worker: Int?) throws(RecordError) -> Prepared {
        // A line reads faster without its mac (see MACMember); any other
        // line, or one that reads as no valid reading that way, is read
        // whole below.
        if authenticated, let reading = SensorReading(lineWithMAC: line) {
            return try prepare(reading, authenticated: true, worker: worker)
        }
        let parsed: Result<SensorReading, RecordError>
        do {
            // A reading's numbers are written back only in RFC 8785 form,
            // where -0 and 0 are one spelling: integers may be read as such.
            parsed = try JSONValue.withParsed(line, integersAsIntegers: true) { node in
                Result { () throws(RecordError) in try SensorReading(parsing: node) }
            }
        } catch {
            throw RecordError.notJSON(error)
        }
        return try prepare(parsed.get(), authenticated: authenticated, worker: worker)
    }

    /// `prepare(line:)` for a line held in an array. A line that is its
    /// reading's canonical form already (as sensors send them) becomes
    /// `canonical` itself, and the bytes made to check that are freed here,
    /// on the thread that made them: handed to the ordered half on another
    /// thread, each one's free contended with the workers' allocations for
    /// the allocator's arena lock.
    public func prepare(line: [UInt8], authenticated: Bool, worker: Int?) throws(RecordError) -> Prepared {
        let prepared = try line.withUnsafeBytes { text in
            Result { () throws(RecordError) in try prepare(line: text, authenticated: authenticated, worker: worker) }
        }.get()
        let same = prepared.canonical.withUnsafeBytes { a in
            line.withUnsafeBytes { b in
                guard a.count == b.count, let x = a.baseAddress, let y = b.baseAddress else { return false }
                return memcmp(x, y, a.count) == 0
            }
        }
        guard same else { return prepared }
        return Prepared(reading: prepared.reading, canonical: line, usedPreviousKey: prepared.usedPreviousKey)
    }

    private func prepare(_ reading: SensorReading, authenticated: Bool, worker: Int?) throws(RecordError) -> Prepared {
        // One serialization gives both the output and the MAC's input (the
        // same bytes without the `mac` member).
        let form = reading.canonicalForm()
        var usedPreviousKey = false
        if authenticated {
            usedPreviousKey = try verifyMAC(reading, form: form, worker: worker)
        } else if reading.macCode != nil {
            throw RecordError(field: "mac", "imported readings carry no mac")
        }
        return Prepared(reading: reading, canonical: form.bytes, usedPreviousKey: usedPreviousKey)
    }

    /// Counts a reading that `prepare` found MACed with a rotated key.
    public mutating func notePreviousKeyUse() { previousKeyUses += 1 }

    /// Throws unless the MAC verifies; true when only the previous key did.
    private func verifyMAC(_ reading: SensorReading, form: (bytes: [UInt8], macMember: Range<Int>?), worker: Int?) throws(RecordError) -> Bool {
        guard let mac = reading.macCode else { throw RecordError(.macMissing, field: "mac", "missing: readings must be authenticated by their device") }
        guard let valid = macs.isValid(reading, form: form, worker: worker ?? -1) else {
            throw RecordError(.unknownDevice, field: "device", "unknown device \"\(reading.device)\" (not in the PSK file)")
        }
        if valid { return false }
        if let old = keys.previousKey(for: reading.device, at: archive ? reading.ts : now),
           DeviceMAC.matches(mac, form, key: HMACSHA256Key(key: old)) {
            return true
        }
        throw RecordError(.mac, field: "mac", "does not verify under device \(reading.device)'s key")
    }

    /// Replay and time checks; on success records the reading as the
    /// device's last and returns the device's slot in `state`.
    @discardableResult
    public func admitOrder(_ reading: SensorReading, state: inout IngestState) throws(RecordError) -> Int {
        if !archive, reading.ts.millisecondsSince1970 > now.millisecondsSince1970 + maxSkewMs {
            throw RecordError(.tsFuture, field: "ts", "\(reading.ts) is more than \(DurationArgument.describe(maxSkewMs)) ahead of the gateway's clock (\(now))")
        }
        if archive { try state.archiveClock.check(reading.ts, maxGapMs: archiveMaxGapMs) }
        let current = IngestState.Device(seq: reading.seq, ts: reading.ts)
        // One hashed lookup: the record is then updated in place.
        guard let slot = state.deviceSlot(reading.device) else {
            if archive { state.archiveClock.accept(reading.ts) }
            return state.addDevice(reading.device, current)
        }
        let last = state.deviceRecords[slot].last
        guard reading.seq > last.seq else {
            throw RecordError(.replay, field: "seq", "replay: device \(reading.device) seq \(reading.seq) is not above its last seq \(last.seq)")
        }
        guard reading.ts >= last.ts else {
            throw RecordError(.tsOrder, field: "ts", "\(reading.ts) is older than device \(reading.device)'s last accepted reading (\(last.ts))")
        }
        state.deviceRecords[slot].last = current
        if archive { state.archiveClock.accept(reading.ts) }
        return slot
    }
}
