/// The time an archive keeps for itself (`ehx-ingest --archive`): with no
/// gateway clock to judge a reading by, the latest time accepted so far
/// stands in for one. A reading further than the gap bound past it is
/// refused (`ts-gap`) unless the one just before was refused so and this
/// one lies within the bound of it: a real gap in a recording goes on from
/// its new time, while a corrupted time stands alone, and the readings
/// after it are judged as if it had never come. The first reading of a run
/// (with `--state`, the latest device time in the state) sets the clock.
public struct ArchiveClock: Sendable {
    /// Wide enough for a monitor switched off overnight, narrow enough for a
    /// time whose year, month or day is corrupt.
    public static let defaultMaxGapMs: Int64 = 24 * 3_600_000

    /// The latest time accepted in the archive.
    public private(set) var latest: Timestamp?
    /// A time refused as a gap, which the next reading may confirm.
    private var jump: Timestamp?

    public init(latest: Timestamp? = nil) {
        self.latest = latest
    }

    /// Throws `ts-gap` when `ts` lies more than `maxGapMs` past the clock and
    /// does not confirm the gap refused just before (which it then
    /// becomes). Nothing moves the clock until `accept`.
    mutating func check(_ ts: Timestamp, maxGapMs: Int64) throws(RecordError) {
        guard let latest, ts.millisecondsSince1970 - latest.millisecondsSince1970 > maxGapMs else { return }
        if let jump, abs(ts.millisecondsSince1970 - jump.millisecondsSince1970) <= maxGapMs { return }
        jump = ts
        throw RecordError(.tsGap, field: "ts", "\(ts) is \(DurationArgument.describe(ts.millisecondsSince1970 - latest.millisecondsSince1970)) after the archive's latest reading (\(latest)), more than --max-gap \(DurationArgument.describe(maxGapMs)): a corrupt time, or a gap in the recording (a gap is taken from the reading after it; a longer --max-gap takes it whole)")
    }

    /// A reading at `ts` was accepted.
    mutating func accept(_ ts: Timestamp) {
        jump = nil
        if latest.map({ ts > $0 }) ?? true { latest = ts }
    }
}
