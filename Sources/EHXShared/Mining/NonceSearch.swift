import CSHA256d

/// Proof-of-work search over the header's nonce field, through the sha256d
/// kernel in the CSHA256d target: the first 64 header bytes are hashed once
/// per header and only the rest per nonce, with SHA extensions when the CPU
/// has them (chosen at run time) and a portable C path otherwise.
public enum NonceSearch {
    public enum Kernel: Sendable, Equatable, Hashable, CustomStringConvertible {
        /// x86 SHA extensions, four nonces interleaved.
        case shaNI
        /// Plain C SHA-256 compression; runs anywhere.
        case portable

        /// The name `ehx-mine --bench` and `make bench` print.
        public var name: String {
            switch self {
            case .shaNI: "sha-ni"
            case .portable: "portable"
            }
        }

        public var description: String { name }

        var code: Int32 {
            switch self {
            case .shaNI: EHX_SHA256D_SHANI
            case .portable: EHX_SHA256D_PORTABLE
            }
        }
    }

    /// Kernels this CPU can run, fastest first.
    public static var availableKernels: [Kernel] {
        ehx_sha256d_has_shani() != 0 ? [.shaNI, .portable] : [.portable]
    }

    public static var bestKernel: Kernel { availableKernels[0] }

    /// Nonces tried between `shouldStop` polls: large enough that the poll
    /// costs nothing, small enough (well under a millisecond) that a stop is prompt.
    static let chunk: UInt32 = 4096

    /// Nonces a thread claims at a time in the multi-threaded search: a few
    /// milliseconds of work, so claiming is rare but a stop or a solution found
    /// elsewhere is noticed quickly.
    static let threadChunk: UInt64 = 1 << 16

    /// Searches nonces in [from, through] for the first header whose sha256d
    /// meets the target. Returns the header with the nonce set, or nil when the
    /// range is exhausted, empty (from > through), or `shouldStop` said so.
    /// A kernel this CPU lacks falls back to `.portable`.
    public static func search(
        _ header: BlockHeader, target: CompactTarget, from: UInt32, through: UInt32,
        kernel: Kernel = bestKernel, shouldStop: () -> Bool = { false }
    ) -> BlockHeader? {
        guard from <= through else { return nil }
        var job = prepare(header, target: target)
        var start = from
        while true {
            if shouldStop() { return nil }
            let (end, overflow) = start.addingReportingOverflow(chunk - 1)
            let last = overflow || end > through ? through : end
            var found: UInt32 = 0
            if ehx_sha256d_scan(&job, kernel.code, start, last, &found) == 1 {
                var solved = header
                solved.nonce = found
                return solved
            }
            if last == through { return nil }
            start = last + 1
        }
    }

    /// The same search on `threads` threads. Threads claim consecutive chunks
    /// of the range and stop claiming beyond a solution already found, so the
    /// answer is the first solution in the range, exactly as the
    /// single-threaded search would return it. `shouldStop` is polled by one
    /// of the workers (never two at once), between its chunks.
    public static func search(
        _ header: BlockHeader, target: CompactTarget, from: UInt32, through: UInt32,
        threads: Int, kernel: Kernel = bestKernel, shouldStop: () -> Bool = { false }
    ) -> BlockHeader? {
        if threads <= 1 {
            return search(header, target: target, from: from, through: through, kernel: kernel, shouldStop: shouldStop)
        }
        return parallel(header, target: target, from: from, through: through,
                        threads: threads, kernel: kernel, shouldStop: shouldStop).found
    }

    /// sha256d of a whole header through one kernel's per-nonce path; the
    /// tests hold each kernel to libcrypto's `SHA256.doubleHash` with it.
    static func hash(_ header: BlockHeader, kernel: Kernel) -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: 32)
        ehx_sha256d_hash(kernel.code, header.serialized, &out)
        return SHA256Digest(unchecked: out)
    }

    static func prepare(_ header: BlockHeader, target: CompactTarget) -> ehx_sha256d_job {
        prepare(header, targetBytes: target.target)
    }

    static func prepare(_ header: BlockHeader, targetBytes: [UInt8]) -> ehx_sha256d_job {
        precondition(targetBytes.count == 32)
        var job = ehx_sha256d_job()
        ehx_sha256d_prepare(&job, header.serialized, targetBytes)
        return job
    }

    /// One kernel scan against any 32-byte big-endian target, including ones
    /// no compact `bits` can spell; the tests probe the early exit's edges.
    static func scan(_ header: BlockHeader, targetBytes: [UInt8], from: UInt32, through: UInt32, kernel: Kernel) -> UInt32? {
        var job = prepare(header, targetBytes: targetBytes)
        var found: UInt32 = 0
        return ehx_sha256d_scan(&job, kernel.code, from, through, &found) == 1 ? found : nil
    }

    struct Outcome {
        var found: BlockHeader?
        /// Nonces tried, over all threads.
        var hashes: UInt64
    }

    /// The counters the threads share; every access goes through the C
    /// atomics in csha256d.h, hence @unchecked.
    final class Shared: @unchecked Sendable {
        let raw: UnsafeMutablePointer<ehx_search_shared>

        init() {
            raw = .allocate(capacity: 1)
            raw.initialize(to: ehx_search_shared(next: 0, best: .max, hashes: 0, stop: 0))
        }

        deinit { raw.deallocate() }
    }

    static func parallel(
        _ header: BlockHeader, target: CompactTarget, from: UInt32, through: UInt32,
        threads: Int, kernel: Kernel, chunk: UInt64 = threadChunk, shouldStop: () -> Bool
    ) -> Outcome {
        guard from <= through else { return Outcome(found: nil, hashes: 0) }
        let span = UInt64(through) - UInt64(from) + 1
        let chunks = (span + chunk - 1) / chunk
        let workers = Int(min(UInt64(max(threads, 1)), chunks))
        let shared = Shared()
        ParallelStage.run(workers: workers) { worker in
            // One worker polls, so `shouldStop` is never called twice at once.
            if worker == 0 {
                work(shared, header: header, target: target, from: from, span: span, chunk: chunk, kernel: kernel,
                     poll: shouldStop)
            } else {
                work(shared, header: header, target: target, from: from, span: span, chunk: chunk, kernel: kernel) { false }
            }
        }
        let hashes = ehx_shared_hashes(shared.raw)
        let best = ehx_shared_best(shared.raw)
        guard ehx_shared_stopped(shared.raw) == 0, best != .max else { return Outcome(found: nil, hashes: hashes) }
        var solved = header
        solved.nonce = UInt32(best)
        return Outcome(found: solved, hashes: hashes)
    }

    /// One thread's loop: claim the next chunk, scan it, stop at a solution,
    /// at the end of the range, or when a lower solution is already known.
    static func work(
        _ shared: Shared, header: BlockHeader, target: CompactTarget, from: UInt32, span: UInt64,
        chunk: UInt64, kernel: Kernel, poll: () -> Bool
    ) {
        var job = prepare(header, target: target)
        while true {
            if poll() {
                ehx_shared_request_stop(shared.raw)
                return
            }
            if ehx_shared_stopped(shared.raw) != 0 { return }
            let offset = ehx_shared_claim(shared.raw, chunk)
            guard offset < span else { return }
            let start = UInt64(from) + offset
            // Chunks are claimed in order, so every later one lies beyond it too.
            if start > ehx_shared_best(shared.raw) { return }
            let end = min(start + chunk, UInt64(from) + span) - 1
            var found: UInt32 = 0
            let hit = ehx_sha256d_scan(&job, kernel.code, UInt32(start), UInt32(end), &found) == 1
            ehx_shared_count(shared.raw, (hit ? UInt64(found) : end) - start + 1)
            if hit {
                ehx_shared_offer(shared.raw, UInt64(found))
                return
            }
        }
    }
}
