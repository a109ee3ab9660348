/// The order-free part of verifying a window of chain lines, done on
/// several threads: parsing each line (JSON, schema, canonical form), its
/// header hash and Merkle root, then every transaction's Ed25519 signature.
/// `ChainAudit` then runs the ordered rules over the results, so the
/// diagnostics come out in chain order whatever the thread count.
public enum ChainBatch {
    public struct Prepared: Sendable {
        public let line: LineReader.Line
        public let parsed: Result<Block, ChainProblem>
        public let facts: BlockFacts?
    }

    /// - Parameters:
    ///   - threads: worker count (1: everything on the calling thread).
    ///   - trustSignaturesBelow: blocks whose parsed height is below this have
    ///     their signatures vouched for by a checkpoint and are not checked.
    public static func prepare(_ lines: [LineReader.Line], threads: Int, trustSignaturesBelow: Int64? = nil) -> [Prepared] {
        let n = lines.count
        // Phase 1: one line per task.
        let parsed = Slots<(Result<Block, ChainProblem>, SHA256Digest, SHA256Digest)?>(count: n, initial: nil)
        ParallelStage.forEach(n, threads: threads) { _, i in
            do throws(ChainProblem) {
                let (block, root) = try BlockLine.parseWithRoot(lines[i].bytes)
                parsed[i] = (.success(block), block.header.hash, root)
            } catch {
                parsed[i] = (.failure(error), .zero, .zero)
            }
        }
        // Phase 2: one signature per task, across all blocks of the window.
        var blocks: [Block?] = []
        var offsets: [Int] = []
        var jobs: [(block: Int, tx: Int)] = []
        blocks.reserveCapacity(n)
        for i in 0..<n {
            offsets.append(jobs.count)
            guard case .success(let block)? = parsed[i]?.0 else { blocks.append(nil); continue }
            blocks.append(block)
            if let below = trustSignaturesBelow, block.height < below { continue }
            for t in block.txs.indices { jobs.append((i, t)) }
        }
        let checks = Slots<Bool>(count: jobs.count, initial: false)
        let frozenBlocks = blocks
        let frozenJobs = jobs
        let checkers = SignatureCheckers(workers: threads)
        ParallelStage.forEach(jobs.count, threads: threads) { w, j in
            let (b, t) = frozenJobs[j]
            guard let block = frozenBlocks[b] else { return } // jobs exist only for parsed blocks
            checks[j] = checkers.isValid(block.txs[t], worker: w)
        }
        var out: [Prepared] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            guard let (result, hash, root) = parsed[i] else { continue }
            guard let block = blocks[i] else {
                out.append(Prepared(line: lines[i], parsed: result, facts: nil))
                continue
            }
            let signatures: [SignatureCheck]
            if let below = trustSignaturesBelow, block.height < below {
                signatures = Array(repeating: .trusted, count: block.txs.count)
            } else {
                signatures = (0..<block.txs.count).map { .checked(checks[offsets[i] + $0]) }
            }
            out.append(Prepared(line: lines[i], parsed: result, facts: BlockFacts(hash: hash, merkleRoot: root, signatures: signatures)))
        }
        return out
    }
}

/// A fixed array that worker threads fill at distinct indices. Each index is
/// written by exactly one task and read only after `ParallelStage.forEach`
/// returns, which orders the writes before the reads.
final class Slots<T>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<T>
    let count: Int

    init(count: Int, initial: T) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: initial, count: count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(i: Int) -> T {
        get { base[i] }
        set { base[i] = newValue }
    }
}
