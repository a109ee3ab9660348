/// Per-pixel-column downsampling: at most one bucket per column, keeping each
/// column's minimum and maximum (in the order they occurred), so spikes
/// survive and a week of per-second readings draws as sharply as an hour.
public enum Downsample {
    /// One plotted sample: time (ms) and value.
    public struct Sample: Sendable, Equatable {
        public var t: Int64
        public var v: Double
        public init(t: Int64, v: Double) { self.t = t; self.v = v }
    }

    /// One pixel column's readings.
    public struct Bucket: Sendable, Equatable {
        public var column: Int
        public var count: Int
        public var min: Sample
        public var max: Sample
        /// min and max in time order (one sample when they coincide).
        public var ordered: [Sample] {
            if count == 1 || min == max { return [min] }
            return min.t <= max.t ? [min, max] : [max, min]
        }
    }

    /// The column of time `t` in `columns` columns spanning [t0, t1].
    public static func column(_ t: Int64, t0: Int64, t1: Int64, columns: Int) -> Int {
        guard t1 > t0, columns > 1 else { return 0 }
        let c = Int(Double(t - t0) / Double(t1 - t0) * Double(columns))
        return Swift.min(columns - 1, Swift.max(0, c))
    }

    /// Buckets of `samples` (sorted by time), one per non-empty column.
    public static func buckets(_ samples: [Sample], t0: Int64, t1: Int64, columns: Int) -> [Bucket] {
        var out: [Bucket] = []
        for s in samples {
            let c = column(s.t, t0: t0, t1: t1, columns: columns)
            if let last = out.last, last.column == c {
                var b = last
                b.count += 1
                if s.v < b.min.v { b.min = s }
                if s.v > b.max.v { b.max = s }
                out[out.count - 1] = b
            } else {
                out.append(Bucket(column: c, count: 1, min: s, max: s))
            }
        }
        return out
    }
}
