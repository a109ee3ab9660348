#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The order-free part of verifying a window of chain lines, done on
/// several threads: reading each line (JSON, schema, canonical form), its
/// header hash and Merkle root, and every transaction's Ed25519 signature,
/// one transaction per task.
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
        let checkers = SignatureCheckers(workers: threads)
        func trusted(_ height: Int64) -> Bool { trustSignaturesBelow.map { height < $0 } ?? false }
        // Phase 1, one line per task: cut into its head and transactions.
        let splits = Slots<BlockLine.Split?>(count: n, initial: nil)
        ParallelStage.forEach(n, threads: threads) { _, i in splits[i] = BlockLine.split(lines[i].bytes) }
        // Phase 2, one transaction per task across the window: parsed, held
        // to its canonical form, its leaf hashed and its signature checked,
        // so a block of thousands keeps every worker busy.
        var jobs: [(line: Int, tx: Int)] = []
        var offsets: [Int] = []
        offsets.reserveCapacity(n)
        for i in 0..<n {
            offsets.append(jobs.count)
            if let split = splits[i] { for t in split.txs.indices { jobs.append((i, t)) } }
        }
        let frozenJobs = jobs
        let parsed = Slots<ParsedTransaction?>(count: jobs.count, initial: nil)
        ParallelStage.forEach(jobs.count, threads: threads) { w, j in
            let (i, t) = frozenJobs[j]
            guard let split = splits[i] else { return } // jobs exist only for cut lines
            parsed[j] = ParsedTransaction(lines[i].bytes, range: split.txs[t],
                                          checkers: trusted(split.height) ? nil : checkers, worker: w)
        }
        // Phase 3, one line per task: the block from its parts. A line that
        // could not be cut, or whose transactions are not all valid and
        // canonical, is read whole as `BlockLine.parseWithRoot` reads any
        // line, which names its problem.
        let out = Slots<Prepared?>(count: n, initial: nil)
        ParallelStage.forEach(n, threads: threads) { w, i in
            let line = lines[i]
            if let split = splits[i] {
                let range = offsets[i]..<(offsets[i] + split.txs.count)
                var txs: [Transaction] = []
                var leafHashes: [SHA256Digest] = []
                var signatures: [SignatureCheck] = []
                txs.reserveCapacity(range.count)
                leafHashes.reserveCapacity(range.count)
                signatures.reserveCapacity(range.count)
                for j in range {
                    guard let one = parsed[j] else { break }
                    txs.append(one.transaction)
                    leafHashes.append(one.leafHash)
                    signatures.append(one.signature)
                }
                if txs.count == range.count {
                    let block = Block(height: split.height, claimedHash: split.claimedHash, header: split.header, txs: txs)
                    let facts = BlockFacts(hash: block.header.hash, merkleRoot: MerkleTree.root(leafHashes: leafHashes), signatures: signatures)
                    out[i] = Prepared(line: line, parsed: .success(block), facts: facts)
                    return
                }
            }
            do throws(ChainProblem) {
                let (block, root) = try BlockLine.parseWithRoot(line.bytes)
                let signatures: [SignatureCheck] = trusted(block.height)
                    ? Array(repeating: .trusted, count: block.txs.count)
                    : block.txs.map { .checked(checkers.isValid($0, worker: w)) }
                out[i] = Prepared(line: line, parsed: .success(block),
                                  facts: BlockFacts(hash: block.header.hash, merkleRoot: root, signatures: signatures))
            } catch {
                out[i] = Prepared(line: line, parsed: .failure(error), facts: nil)
            }
        }
        return (0..<n).compactMap { out[$0] }
    }

    /// One transaction of a cut line, read on a worker; nil when its bytes
    /// are not exactly the canonical form of a valid transaction.
    struct ParsedTransaction {
        let transaction: Transaction
        let leafHash: SHA256Digest
        let signature: SignatureCheck

        /// `checkers` nil: the signature is vouched for (`--from-height`).
        init?(_ line: [UInt8], range: Range<Int>, checkers: SignatureCheckers?, worker: Int) {
            let read = line.withUnsafeBytes { raw -> (Transaction, SHA256Digest)? in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
                return Transaction.exactly(bytes).map { ($0, MerkleTree.leafHash(bytes)) }
            }
            guard let (tx, leafHash) = read else { return nil }
            transaction = tx
            self.leafHash = leafHash
            signature = checkers.map { .checked($0.isValid(tx, worker: worker)) } ?? .trusted
        }
    }
}

extension ChainBatch {
    /// Every line of `reader`, prepared in windows (`ChainAudit.windowLines`
    /// and `windowBytes`), through `body` in chain order. The workers
    /// prepare the next window while `body` runs over the one before, so
    /// the signature checks never wait for the ordered work. Only input
    /// already there is read ahead: a live stream's lines are not held back
    /// until more of it arrives.
    static func forEachPrepared(reader: LineReader, threads: Int, trustSignaturesBelow: Int64?,
                                _ body: (Prepared) throws(ToolError) -> Void) throws(ToolError) {
        var pending: ParallelStage.Pending<Prepared>?
        // A failed body leaves the workers' window to finish before returning.
        defer { _ = pending?.wait() }
        while true {
            let window = try reader.nextBatch(maxLines: ChainAudit.windowLines, maxBytes: ChainAudit.windowBytes,
                                              waiting: pending == nil)
            let ready = pending?.wait()
            pending = window.isEmpty ? nil : ParallelStage.start {
                prepare(window, threads: threads, trustSignaturesBelow: trustSignaturesBelow)
            }
            guard let ready else {
                if pending == nil { return }
                continue
            }
            for prepared in ready { try body(prepared) }
        }
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
