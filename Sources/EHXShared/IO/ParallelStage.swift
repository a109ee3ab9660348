import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ehx's one thread pool (libdispatch's, through `run`), and on it the
/// order-free half of a batched read loop: a stateless per-item step run on
/// several threads, results in input order, so the ordered half (outputs,
/// rejects, state) can follow exactly as a one-thread loop would. The
/// verifier's window (`ChainBatch`) and the nonce search run on it too.
public enum ParallelStage {
    /// `body(w)` for every worker w in 0..<workers, all at once, the calling
    /// thread among them; returns when every one has. No two calls share a
    /// worker number, so a worker may keep per-thread state by it.
    static func run(workers: Int, _ body: (_ worker: Int) -> Void) {
        if workers <= 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in box.value(w) }
        }
    }

    /// Runs `body(worker, i)` for every i in 0..<count on up to `threads`
    /// workers (1: everything on the calling thread).
    ///
    /// Indices are handed out in small runs as workers ask for them, not
    /// split in advance: a worker whose core is shared (with the ordered
    /// half of a pipeline, or with another process) would otherwise keep
    /// the rest waiting for its fixed share. A run is at most 16 items: the
    /// last worker to finish keeps the others waiting for up to one run
    /// (16 signature checks, 2.4 ms; 64 left a window's other core idle
    /// for about 3% of it), while the shared counter is touched once per run.
    static func forEach(_ count: Int, threads: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for i in 0..<count { body(0, i) }
            return
        }
        let run = max(1, min(16, count / (workers * 8)))
        let next = Atomic<Int>(0)
        self.run(workers: workers) { w in
            while true {
                let start = next.add(run, ordering: .relaxed).oldValue
                if start >= count { break }
                for i in start..<min(start + run, count) { body(w, i) }
            }
        }
    }

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
            // Each index is initialized by exactly one task; forEach returns
            // only after all of them, which orders the writes before the
            // array is used.
            guard let base = buffer.baseAddress else { return }
            forEach(count, threads: threads) { worker, i in
                (base + i).initialize(to: transform(worker, inputs[i]))
            }
            initialized = count
        }
    }

    /// `map`, started on a background thread: the caller does the ordered
    /// half of one batch while the workers parse the next, so no core idles
    /// while a single thread writes results out. Wait for one before
    /// starting the next: both would hand out workers 0..<threads.
    public static func start<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], threads: Int, _ transform: @escaping @Sendable (_ worker: Int, Input) -> Output
    ) -> Pending<Output> {
        let pending = Pending<Output>()
        DispatchQueue.global().async {
            pending.finish(map(inputs, threads: threads, transform))
        }
        return pending
    }

    /// `work()`, started on a background thread (which may itself use the
    /// workers, as `ChainBatch.prepare` does); the same rule holds: wait for
    /// one before starting the next.
    public static func start<Output: Sendable>(_ work: @escaping @Sendable () -> [Output]) -> Pending<Output> {
        let pending = Pending<Output>()
        DispatchQueue.global().async { pending.finish(work()) }
        return pending
    }

    /// The outputs of a `start`ed map, once it has finished.
    public final class Pending<Output: Sendable>: @unchecked Sendable {
        // Written once by the background thread before `done` is signalled,
        // read only after `wait` has seen the signal.
        private var outputs: [Output] = []
        private let done = DispatchSemaphore(value: 0)

        fileprivate func finish(_ result: [Output]) {
            outputs = result
            done.signal()
        }

        /// Blocks until every output is ready; call once.
        public func wait() -> [Output] {
            done.wait()
            return outputs
        }
    }

    /// Online cores, the default for `--threads`.
    public static var onlineCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// One Ed25519 verifier per worker of a `ParallelStage`: each caches the
/// signers' imported keys (see `Ed25519Verifier`), and worker w only ever
/// uses verifier w, so no verifier is shared between threads.
public final class SignatureCheckers: Sendable {
    private let verifiers: PerWorker<Ed25519Verifier>

    public init(workers: Int) {
        verifiers = PerWorker(workers: workers) { Ed25519Verifier() }
    }

    /// The same verdict as `tx.hasValidSignature`.
    public func isValid(_ tx: Transaction, worker: Int) -> Bool {
        guard let verifier = verifiers[worker] else { return tx.hasValidSignature }
        return verifier.isValidSignature(tx.signature, for: tx.signedMessage, signer: tx.signer)
    }
}

/// Hands a closure to worker threads; the closure only reads shared,
/// immutable data and writes what its worker or index owns.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
