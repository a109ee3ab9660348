import Testing
@testable import EHXShared

/// `--archive` keeps its own clock (issue 18): a corrupt time is refused as
/// `ts-gap` and the readings after it go on; a real gap is taken from the
/// reading after it; the device's order still holds.
@Suite struct ArchiveClockTests {
    static let t0 = Timestamp(rfc3339: "2896-10-10T00:31:25.000Z")!

    static func at(minutes: Int64) -> Timestamp { Timestamp(millisecondsSince1970: t0.millisecondsSince1970 + minutes * 60_000) }

    /// The codes of `minutes` put through a gate in archive mode (nil: accepted).
    static func codes(_ minutes: [Int64], maxGap: Int64 = 60 * 60_000, state: IngestState = IngestState()) -> [String?] {
        var gate = ReadingGate(keys: PSKFile(), now: nil, workers: 1)
        gate.archive = true
        gate.archiveMaxGapMs = maxGap
        var state = state
        return minutes.enumerated().map { i, m -> String? in
            let reading = try! SensorReading(parsing: ["device": "mon", "patient": "p", "seq": .number(Double(i + 1)), "ts": .string(at(minutes: m).description),
                                                     "kind": "heart_rate", "value": 70, "unit": "/min"])
            do { try gate.admitOrder(reading, state: &state); return nil } catch { return RejectReason.code(of: error) }
        }
    }

    @Test func aCorruptTimeIsRefusedAndTheRecordingGoesOn() {
        // Minute 5 is a year off (a digit of the year corrupt).
        #expect(Self.codes([0, 1, 2, 525_600, 3, 4]) == [nil, nil, nil, "ts-gap", nil, nil])
        // Two corrupt times apart do not confirm each other past a good reading.
        #expect(Self.codes([0, 1, 525_600, 2, 525_601, 3]) == [nil, nil, "ts-gap", nil, "ts-gap", nil])
        // A time in the past is the device's order, as before.
        #expect(Self.codes([0, 1, -525_600, 2]) == [nil, nil, "ts-order", nil])
    }

    @Test func aRealGapIsTakenFromTheReadingAfterIt() {
        // Six hours off (the monitor unplugged), then one a minute again.
        #expect(Self.codes([0, 1, 360, 361, 362]) == [nil, nil, "ts-gap", nil, nil])
        // Within the bound a gap is no gap.
        #expect(Self.codes([0, 1, 360, 361], maxGap: 24 * 60 * 60_000) == [nil, nil, nil, nil])
        // The default bound is a day.
        #expect(ArchiveClock.defaultMaxGapMs == 24 * 3_600_000)
    }

    @Test func aStateFileSetsTheClock() throws {
        var saved = IngestState()
        saved.devices = ["mon": .init(seq: 0, ts: Self.t0)]
        let loaded = try IngestState(parsing: saved.json)
        #expect(loaded.archiveClock.latest == Self.t0)
        // The first reading of the run is judged against the state's time.
        #expect(Self.codes([525_600, 1], state: loaded) == ["ts-gap", nil])
        // With no state the first reading sets the clock (THREAT MODEL).
        #expect(Self.codes([525_600, 525_601]) == [nil, nil])
    }
}
