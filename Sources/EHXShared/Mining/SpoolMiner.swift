/// `ehx-mine --spool DIR`: mines the entries in DIR/new present at the
/// start, oldest first, in blocks within one `BlockBudget`, under the chain
/// lock the caller holds. The order of effects is what makes a kill at any
/// instant harmless:
///
/// 1. entries whose txid is already on the chain are retired (unlinked);
/// 2. the block is mined, checked and appended (one write, fsync);
/// 3. only then are its entries retired;
/// 4. then the entries judged invalid move to rejected/.
///
/// A run killed before 2 completes leaves every entry in the spool; one
/// killed after it finds their txids on the chain and retires them. A key
/// change takes effect from the next block, so a transaction refused only
/// for its signer's role while the block holds a key change waits for it.
public struct SpoolMiner {
    /// The points after which a run may die with the chain and spool in a
    /// new state (`afterStep`; tests throw there to stand for a kill).
    public enum Step: Sendable, Equatable {
        case retiredOnChain, appended, retiredMined, movedRejects
    }

    public struct Outcome: Sendable, Equatable {
        public var blocks = 0, mined = 0, retiredDuplicates = 0, rejected = 0
        /// 65 when an entry was rejected, else 0.
        public var status: Sysexits { rejected > 0 ? .dataErr : .ok }
    }

    public let spool: Spool
    public let budget: BlockBudget
    /// Mine only when at least this many transactions wait (0: an empty block).
    public let minTxs: Int
    public let key: Ed25519.PrivateKey
    public let threads: Int
    public let diagnostics: Diagnostics
    /// True once the run must give up (`--deadline`): it then stops with
    /// status 75, the entries not yet mined left in the spool.
    public var pastDeadline: () -> Bool = { false }
    public var afterStep: (Step) throws -> Void = { _ in }

    public init(spool: Spool, budget: BlockBudget, minTxs: Int, key: Ed25519.PrivateKey, threads: Int, diagnostics: Diagnostics) {
        self.spool = spool
        self.budget = budget
        self.minTxs = minTxs
        self.key = key
        self.threads = threads
        self.diagnostics = diagnostics
    }

    /// Runs over the spool; `mined` sees each block once it is appended.
    public func run(local: inout LocalChain, file: ChainFile, mined: (Block) throws -> Void) throws -> Outcome {
        guard let rules = local.state.rules else { throw ToolError(.dataErr, "\(spool.path): no genesis rules") }
        let dir = spool.path
        let cleaned = spool.cleanTemporary(olderThan: 36 * 3600)
        if cleaned > 0 { diagnostics.note("\(dir)/tmp: removed \(Plural.count(cleaned, "file")) left by interrupted writers over 36 h ago") }
        let entries = try spool.entries()
        var reader = SpoolWindow(spool: spool, entries: entries, maxBytes: Int(rules.maxBlockBytes), threads: threads)
        var next = 0
        var outcome = Outcome()

        func giveUp() -> ToolError {
            ToolError(.tempFail, "\(dir): --deadline reached after \(Plural.count(outcome.blocks, "block")); the entries not yet mined stay in the spool for the next run")
        }

        while true {
            if pastDeadline() { throw giveUp() }
            var candidate = local.validator.candidate()
            var taken: [String] = []
            var onChain: [String] = []
            var repeats: [String] = []
            var refused: [(name: String, reason: String)] = []
            gathering: while next < entries.count && candidate.transactions.count < budget.maxTxs {
                let entry = entries[next]
                let tx: Transaction, leaf: [UInt8], signature: Bool
                switch reader.prepared(next) {
                case .failed(let failure):
                    throw failure
                case .missing:
                    next += 1
                    continue gathering
                case .tooLong(let size):
                    refused.append((entry.name, "entry too long (\(size) bytes; the chain's max_block_bytes is \(rules.maxBlockBytes))"))
                    next += 1
                    continue gathering
                case .unreadable(let reason):
                    refused.append((entry.name, reason))
                    next += 1
                    continue gathering
                case .transaction(let parsed, let bytes, let valid):
                    (tx, leaf, signature) = (parsed, bytes, valid)
                }
                if local.state.contains(tx) {
                    onChain.append(entry.name)
                    next += 1
                    continue gathering
                }
                if !budget.fits(candidate, leafBytes: leaf.count) { break gathering }
                let problems = candidate.admit(tx, leaf: leaf, signature: .checked(signature))
                if problems.isEmpty {
                    taken.append(entry.name)
                } else if problems.allSatisfy({ $0.rule == .alertRepeat }) {
                    // An alert for a reading and rule the chain (or this block)
                    // already has (a gateway run twice): retired like one on
                    // the chain; the copy in this block stays spooled until appended.
                    onChain.append(entry.name)
                } else if problems.allSatisfy({ $0.rule == .duplicateTxid }) {
                    // The same transaction spooled twice: one copy is in this block.
                    repeats.append(entry.name)
                } else if problems.allSatisfy({ $0.rule == .role }) && candidate.transactions.contains(where: { $0.type == .key }) {
                    // A key change in this block takes effect from the next one: judge it there.
                    break gathering
                } else {
                    refused.append((entry.name, problems.map(\.description).joined(separator: "; ")))
                }
                next += 1
            }
            // Already on the chain: a run killed after its append left them.
            try spool.retire(onChain)
            outcome.retiredDuplicates += onChain.count
            try afterStep(.retiredOnChain)

            let needed = outcome.blocks == 0 ? minTxs : max(minTxs, 1)
            if candidate.transactions.count < needed {
                outcome.rejected += try moveRejects(refused)
                if outcome.blocks == 0 && !entries.isEmpty || candidate.transactions.count > 0 {
                    diagnostics.note("\(dir): \(Plural.count(candidate.transactions.count, "transaction")) waiting, fewer than --min-txs \(minTxs); no block mined")
                }
                break
            }
            let block: Block
            do {
                block = try local.mineAndAppend(&candidate, to: file, key: key, threads: threads, shouldStop: pastDeadline)
            } catch is BlockMiner.Cancelled {
                throw giveUp()
            }
            try afterStep(.appended)
            try spool.retire(taken + repeats)
            outcome.retiredDuplicates += repeats.count
            try afterStep(.retiredMined)
            outcome.rejected += try moveRejects(refused)
            try afterStep(.movedRejects)
            outcome.blocks += 1
            outcome.mined += candidate.transactions.count
            try mined(block)
            if next >= entries.count { break }
        }
        diagnostics.note("\(dir): \(Plural.count(outcome.mined, "transaction")) mined in \(Plural.count(outcome.blocks, "block")), \(outcome.retiredDuplicates) already on the chain retired, \(outcome.rejected) rejected; tip \(local.state.height) \(local.state.tip.displayHex)")
        return outcome
    }

    private func moveRejects(_ refused: [(name: String, reason: String)]) throws -> Int {
        for (name, reason) in refused {
            diagnostics.error("\(spool.path)/new/\(name): \(reason); moved to rejected/")
            try spool.reject(name, reason: reason)
        }
        return refused.count
    }
}

/// The spool's entries read ahead a window at a time, in order, and parsed
/// and signature-checked on all threads; `SpoolMiner` then judges them one
/// by one exactly as it would have read them.
struct SpoolWindow {
    let spool: Spool
    let entries: [Spool.Entry]
    let maxBytes: Int
    let threads: Int
    let checkers: SignatureCheckers
    private var window: [SpoolEntry] = []
    private var windowStart = 0

    init(spool: Spool, entries: [Spool.Entry], maxBytes: Int, threads: Int) {
        self.spool = spool
        self.entries = entries
        self.maxBytes = maxBytes
        self.threads = threads
        checkers = SignatureCheckers(workers: threads)
    }

    mutating func prepared(_ index: Int) -> SpoolEntry {
        if index < windowStart || index >= windowStart + window.count {
            windowStart = index
            let end = min(entries.count, index + RecordPipeline.defaultBatchLines)
            let contents = entries[index..<end].map { [spool, maxBytes] entry -> SpoolEntry.Read in
                do throws(ToolError) {
                    return .content(try spool.read(entry, maxBytes: maxBytes))
                } catch {
                    return .failed(error)
                }
            }
            let checkers = self.checkers
            window = ParallelStage.map(contents, threads: threads) { worker, read in
                SpoolEntry(read, checkers: checkers, worker: worker)
            }
        }
        return window[index - windowStart]
    }
}

/// One spool entry as read and, off the ordered path, parsed with its leaf
/// and signature verdict.
enum SpoolEntry: Sendable {
    enum Read: Sendable {
        case content(Spool.Content)
        case failed(ToolError)
    }

    case failed(ToolError)
    case missing
    case tooLong(Int)
    case unreadable(String)
    case transaction(Transaction, leaf: [UInt8], signatureValid: Bool)

    init(_ read: Read, checkers: SignatureCheckers, worker: Int) {
        switch read {
        case .failed(let failure): self = .failed(failure)
        case .content(.missing): self = .missing
        case .content(.tooLong(let size)): self = .tooLong(size)
        case .content(.bytes(let bytes)):
            do {
                var line = bytes
                while let last = line.last, last == 0x0a || last == 0x0d { line.removeLast() }
                let (tx, leaf) = try line.withUnsafeBytes { Transaction(canonicalLine: $0) }.map { ($0, line) }
                    ?? Transaction.parseWithLeaf(try JSONValue.parse(line))
                self = .transaction(tx, leaf: leaf, signatureValid: checkers.isValid(tx, worker: worker))
            } catch {
                self = .unreadable(String(describing: error))
            }
        }
    }
}
