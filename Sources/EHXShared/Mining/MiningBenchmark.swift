/// `ehx-mine --bench`: the nonce search's raw rate, no chain needed.
public enum MiningBenchmark {
    public struct Result: Sendable {
        public var hashes: UInt64
        public var seconds: Double
        public var threads: Int
        public var kernel: NonceSearch.Kernel

        public var hashesPerSecond: Double { seconds > 0 ? Double(hashes) / seconds : 0 }
    }

    /// Several runs' rates: on a shared machine one figure is noise, so
    /// `--bench --repeat N` reports the spread.
    public struct Spread: Sendable, Equatable {
        public let min: Double
        public let median: Double
        public let max: Double
        /// Wall seconds of all runs together.
        public let seconds: Double

        public init(_ runs: [Result]) {
            let rates = runs.map(\.hashesPerSecond).sorted()
            min = rates.first ?? 0
            max = rates.last ?? 0
            if rates.isEmpty {
                median = 0
            } else if rates.count % 2 == 1 {
                median = rates[rates.count / 2]
            } else {
                median = (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
            }
            seconds = runs.reduce(0) { $0 + $1.seconds }
        }
    }

    /// Hashes random headers against a target of 1, which no hash meets in
    /// practice (it needs 255 leading zero bits), for about `seconds` on
    /// `threads` threads. A fresh header follows if a range were ever exhausted.
    public static func run(seconds: Double, threads: Int, kernel: NonceSearch.Kernel = NonceSearch.bestKernel) -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .nanoseconds(Int64(seconds * 1e9))
        // 0x03000001 decodes to the target 1.
        let unreachable = try! CompactTarget(bits: 0x0300_0001)
        var hashes: UInt64 = 0
        var rng = SystemRandomNumberGenerator()
        func randomDigest() -> SHA256Digest {
            SHA256Digest(unchecked: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
        }
        repeat {
            let header = BlockHeader(version: 1, prev: randomDigest(), merkle: randomDigest(),
                                     time: UInt32.random(in: .min ... .max, using: &rng), bits: unreachable.bits, nonce: 0)
            let outcome = NonceSearch.parallel(header, target: unreachable, from: 0, through: .max,
                                               threads: threads, kernel: kernel) { clock.now >= deadline }
            hashes += outcome.hashes
        } while clock.now < deadline
        let elapsed = (clock.now - start).components
        return Result(hashes: hashes, seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18,
                      threads: threads, kernel: kernel)
    }
}
