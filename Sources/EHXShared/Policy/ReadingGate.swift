/// The gateway's admission check for one reading: schema and range, the
/// device MAC, and replay (seq must rise per device within the run).
public struct ReadingGate: Sendable {
    private let keys: PSKFile
    private var lastSeq: [String: Int64] = [:]

    public init(keys: PSKFile) {
        self.keys = keys
    }

    public mutating func admit(_ json: JSONValue) throws(RecordError) -> SensorReading {
        let reading = try SensorReading(parsing: json)
        guard reading.mac != nil else { throw RecordError(field: "mac", "missing: readings must be authenticated by their device") }
        guard let key = keys.key(for: reading.device) else {
            throw RecordError(field: "device", "unknown device \"\(reading.device)\" (not in the PSK file)")
        }
        guard reading.hasValidMAC(key: key) else {
            throw RecordError(field: "mac", "does not verify under device \(reading.device)'s key")
        }
        if let last = lastSeq[reading.device], reading.seq <= last {
            throw RecordError(field: "seq", "replay: device \(reading.device) seq \(reading.seq) is not above its last seq \(last)")
        }
        lastSeq[reading.device] = reading.seq
        return reading
    }
}
