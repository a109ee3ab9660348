#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The order-free half of a batched read loop: a stateless per-item step
/// run on several threads, results in input order, so the ordered half
/// (outputs, rejects, state) can follow exactly as a one-thread loop would.
public enum ParallelStage {
    /// `transform(inputs[i])` for every i, on up to `threads` threads (1: on
    /// the calling thread). `transform` must not touch shared mutable state;
    /// `@Sendable` lets the compiler hold it to that.
    public static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], threads: Int, _ transform: @Sendable (Input) -> Output
    ) -> [Output] {
        map(inputs, threads: threads) { _, input in transform(input) }
    }

    /// As `map(_:threads:_:)`, telling `transform` which worker (0..<threads)
    /// runs it, for per-thread caches such as `SignatureCheckers`.
    public static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], threads: Int, _ transform: @Sendable (_ worker: Int, Input) -> Output
    ) -> [Output] {
        let count = inputs.count
        guard count > 0 else { return [] }
        return [Output](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Each index is initialized by exactly one task; concurrentPerform
            // returns only after all of them, which orders the writes before
            // the array is used.
            guard let base = buffer.baseAddress else { return }
            ChainBatch.parallel(count, threads: threads) { worker, i in
                (base + i).initialize(to: transform(worker, inputs[i]))
            }
            initialized = count
        }
    }

    /// A batched read loop with its two halves overlapped: `next` reads a
    /// batch (empty at end) and `transform` maps it on `threads` threads, on
    /// a producer thread, while `consume` (the ordered half: outputs, state)
    /// runs on the calling thread for the batch before. Without the overlap
    /// every core but one idles while `consume` runs. `consume` sees the
    /// batches, and an error of `next`, in the order and at the point a
    /// one-thread loop would: the error only after every batch read before
    /// it. With `threads` 1 nothing runs on another thread.
    ///
    /// `next` runs on the producer thread, so it must own what it touches
    /// (the line reader) while this runs; `consume` must not touch that. The
    /// producer reads at most one batch ahead and is stopped and joined
    /// before this returns or throws, so nothing of it outlives the call.
    public static func pipelined<Input: Sendable, Output: Sendable>(
        threads: Int,
        next: () throws(ToolError) -> [Input],
        transform: @Sendable (_ worker: Int, Input) -> Output,
        consume: ([Input], [Output]) throws(ToolError) -> Void
    ) throws(ToolError) {
        guard threads > 1 else {
            while true {
                let inputs = try next()
                if inputs.isEmpty { return }
                try consume(inputs, map(inputs, threads: 1, transform))
            }
        }
        try withoutActuallyEscaping(transform) { transform throws(ToolError) in
            // threads - 1 helpers plus this thread: never more runnable
            // threads than asked for, which on a small machine would only
            // trade the idle core for preemption.
            let crew = StageCrew<Input, Output>(helpers: threads - 1, transform: transform)
            // However the loop ends, the helpers are stopped and waited for,
            // so `transform` does not outlive this call.
            defer { crew.stopAndJoin() }
            var inputs = try next()
            guard !inputs.isEmpty else { return }
            crew.publish(inputs)
            while true {
                let outputs = crew.helpAndCollect()
                // Read the next batch and let the helpers stage it while this
                // thread finishes the current one; a read error is thrown
                // only after the batches read before it are finished.
                let following: Result<[Input], ToolError>
                do throws(ToolError) { following = .success(try next()) } catch { following = .failure(error) }
                if case .success(let more) = following, !more.isEmpty { crew.publish(more) }
                try consume(inputs, outputs)
                inputs = try following.get()
                if inputs.isEmpty { return }
            }
        }
    }

    /// Online cores, the default for `--threads`.
    public static var onlineCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// One Ed25519 verifier per worker of a `ParallelStage`: each caches the
/// signers' imported keys (see `Ed25519Verifier`), and worker w only ever
/// uses verifier w, so no verifier is shared between threads.
public final class SignatureCheckers: @unchecked Sendable {
    private let verifiers: [Ed25519Verifier]

    public init(workers: Int) {
        verifiers = (0..<max(1, workers)).map { _ in Ed25519Verifier() }
    }

    /// The same verdict as `tx.hasValidSignature`.
    public func isValid(_ tx: Transaction, worker: Int) -> Bool {
        guard verifiers.indices.contains(worker) else { return tx.hasValidSignature }
        return verifiers[worker].isValidSignature(tx.signature, for: tx.signedMessage, signer: tx.signer)
    }
}

/// `pipelined`'s helper threads: each published batch is cut into chunks
/// that the helpers and the calling thread claim until none is left, so
/// whichever threads are free share the work (no fixed striping: a core
/// busy finishing the previous batch takes fewer chunks). Worker numbers:
/// the calling thread is 0, helper h is h, so per-worker caches are
/// never shared between threads.
final class StageCrew<Input: Sendable, Output: Sendable>: @unchecked Sendable {
    // @unchecked: every stored var is read and written only while
    // `condition` is locked; output slots are written by the one thread
    // that claimed their chunk and read by the caller only after `done`
    // has counted them (under the lock, which orders the writes first).
    private let condition = NSCondition()
    /// Dropped by `stopAndJoin`: `pipelined` passes a closure that must
    /// not outlive its call, and a helper's Thread object may.
    private var transform: (@Sendable (Int, Input) -> Output)?
    private var inputs: [Input] = []
    private var slots: UnsafeMutablePointer<Output>?
    private var claimed = 0
    private var done = 0
    private var stopping = false
    private var running = 0
    /// Lines per claim: large enough that the lock is rare, small enough
    /// that the last chunks balance the threads.
    static var chunk: Int { 64 }

    init(helpers: Int, transform: @escaping @Sendable (Int, Input) -> Output) {
        self.transform = transform
        running = helpers
        for worker in stride(from: 1, through: helpers, by: 1) {
            Thread { [self] in help(worker: worker) }.start()
        }
    }

    /// Hands `batch` to the helpers; the previous batch must be collected.
    func publish(_ batch: [Input]) {
        let storage = UnsafeMutablePointer<Output>.allocate(capacity: max(1, batch.count))
        condition.lock()
        inputs = batch
        slots = storage
        claimed = 0
        done = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Stages what is left of the published batch on this thread (worker
    /// 0), waits for the helpers' chunks and returns the outputs in order.
    func helpAndCollect() -> [Output] {
        condition.lock()
        while let (range, base, transform) = claim() {
            condition.unlock()
            run(range, into: base, worker: 0, transform)
            condition.lock()
            done += range.count
        }
        while done < inputs.count { condition.wait() }
        let count = inputs.count
        let base = slots
        slots = nil
        inputs = []
        condition.unlock()
        guard let base else { return [] }
        defer { base.deallocate() }
        return [Output](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let target = buffer.baseAddress { target.moveInitialize(from: base, count: count) }
            initialized = count
        }
    }

    /// Stops the helpers, waits until all have ended, and drops a batch
    /// published but not collected (its staged outputs are deinitialized).
    func stopAndJoin() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        transform = nil
        if let base = slots {
            // Helpers finish every chunk they claimed before ending, and
            // chunks are claimed from the front, so 0..<claimed is staged.
            base.deinitialize(count: claimed)
            base.deallocate()
            slots = nil
        }
        condition.unlock()
    }

    /// The next chunk of the published batch; call with the lock held.
    private func claim() -> (Range<Int>, UnsafeMutablePointer<Output>, @Sendable (Int, Input) -> Output)? {
        guard !stopping, let base = slots, let transform, claimed < inputs.count else { return nil }
        let range = claimed..<min(inputs.count, claimed + Self.chunk)
        claimed = range.upperBound
        return (range, base, transform)
    }

    private func run(_ range: Range<Int>, into base: UnsafeMutablePointer<Output>, worker: Int,
                     _ transform: @Sendable (Int, Input) -> Output) {
        // `inputs` is replaced only by `publish`, after every chunk of the
        // batch is done, so reading it outside the lock here is safe.
        for i in range { (base + i).initialize(to: transform(worker, inputs[i])) }
    }

    private func help(worker: Int) {
        condition.lock()
        while true {
            if let (range, base, transform) = claim() {
                condition.unlock()
                run(range, into: base, worker: worker, transform)
                condition.lock()
                done += range.count
                if done == inputs.count { condition.broadcast() }
            } else if stopping {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            } else {
                condition.wait()
            }
        }
    }
}
