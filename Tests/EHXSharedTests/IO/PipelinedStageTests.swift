@testable import EHXShared
import Foundation
import Testing

/// `ParallelStage.pipelined` overlaps reading and staging batch k+1 with
/// consuming batch k; what `consume` sees must be what a one-thread loop
/// gives, errors included, whatever the thread count.
@Suite struct PipelinedStageTests {
    /// Batches of `sizes` lengths over 0, 1, 2, …; the read after `failAfter`
    /// batches throws instead. Only ever called on one thread at a time.
    final class Source: @unchecked Sendable {
        let sizes: [Int]
        let failAfter: Int?
        var read = 0
        var next = 0
        init(sizes: [Int], failAfter: Int? = nil) { self.sizes = sizes; self.failAfter = failAfter }

        func batch() throws(ToolError) -> [Int] {
            if let failAfter, read == failAfter { throw ToolError(.ioErr, "in: read error") }
            guard read < sizes.count else { return [] }
            defer { read += 1 }
            let batch = Array(next..<(next + sizes[read]))
            next += sizes[read]
            return batch
        }
    }

    /// Records which thread ran each worker number.
    final class WorkerThreads: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [Int: Set<ObjectIdentifier>] = [:]
        func note(_ worker: Int) {
            lock.lock(); defer { lock.unlock() }
            seen[worker, default: []].insert(ObjectIdentifier(Thread.current))
        }
        var snapshot: [Int: Set<ObjectIdentifier>] { lock.lock(); defer { lock.unlock() }; return seen }
    }

    static let sizes = [1, 4096, 7, 300, 64, 65, 1, 2000]

    @Test func consumesEveryBatchInOrderOnAnyThreadCount() throws {
        let expected = (0..<Self.sizes.reduce(0, +)).map { "\($0 * 3)" }
        for threads in [1, 2, 3, 8] {
            let source = Source(sizes: Self.sizes)
            let workers = WorkerThreads()
            var consumed: [String] = []
            var batches: [Int] = []
            try ParallelStage.pipelined(threads: threads) { () throws(ToolError) in try source.batch() } transform: { worker, n in
                workers.note(worker)
                return "\(n * 3)"
            } consume: { inputs, outputs in
                #expect(inputs.count == outputs.count)
                batches.append(inputs.count)
                consumed += outputs
            }
            #expect(consumed == expected, "threads \(threads)")
            #expect(batches == Self.sizes, "threads \(threads)")
            // Each worker number belongs to one thread (per-worker caches).
            for (worker, threadsSeen) in workers.snapshot {
                #expect((0..<threads).contains(worker))
                #expect(threadsSeen.count == 1, "worker \(worker) ran on \(threadsSeen.count) threads")
            }
        }
    }

    @Test func aReadErrorComesAfterTheBatchesBeforeIt() {
        for threads in [1, 2, 4] {
            let source = Source(sizes: Self.sizes, failAfter: 3)
            var consumed = 0
            #expect(throws: ToolError.self) {
                try ParallelStage.pipelined(threads: threads) { () throws(ToolError) in try source.batch() } transform: { _, n in n } consume: { inputs, _ in
                    consumed += inputs.count
                }
            }
            #expect(consumed == Self.sizes.prefix(3).reduce(0, +), "threads \(threads)")
        }
    }

    @Test func aConsumeErrorStopsTheLoopAndTheHelpers() {
        final class Live: @unchecked Sendable {
            let lock = NSLock()
            var count = 0
            func add(_ d: Int) { lock.lock(); count += d; lock.unlock() }
            var value: Int { lock.lock(); defer { lock.unlock() }; return count }
        }
        final class Counted: Sendable {
            let live: Live
            init(_ live: Live) { self.live = live; live.add(1) }
            deinit { live.add(-1) }
        }
        let live = Live()
        for threads in [2, 4] {
            let source = Source(sizes: Self.sizes)
            var consumedBatches = 0
            #expect(throws: ToolError.self) {
                try ParallelStage.pipelined(threads: threads) { () throws(ToolError) in try source.batch() } transform: { _, _ in Counted(live) } consume: { (_, _) throws(ToolError) in
                    consumedBatches += 1
                    if consumedBatches == 2 { throw ToolError(.ioErr, "stdout: write error") }
                }
            }
            #expect(consumedBatches == 2)
            // At most one batch read ahead of the failing one.
            #expect(source.read <= 3)
            // Every output staged ahead and never consumed was released.
            #expect(live.value == 0)
        }
    }
}
