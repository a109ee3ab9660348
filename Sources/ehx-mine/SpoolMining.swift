import ArgumentParser
import EHXCommandLine
import EHXShared

extension Mine {
    /// `--spool DIR`: mines the entries in DIR/new present at the start,
    /// oldest first, in blocks of at most `perBlock` transactions and
    /// --max-bytes bytes, under the chain lock the caller holds. The order of
    /// effects is what makes a kill at any instant harmless:
    ///
    /// 1. entries whose txid is already on the chain are retired (unlinked);
    /// 2. the block is mined, checked and appended (one write, fsync);
    /// 3. only then are its entries retired;
    /// 4. then the entries judged invalid move to rejected/.
    ///
    /// A run killed before 2 completes leaves every entry in the spool; one
    /// killed after it finds their txids on the chain and retires them.
    func mineSpool(_ dir: String, started: ContinuousClock.Instant, file: ChainFile, validator: inout ChainValidator,
                   minerKey: Ed25519.PrivateKey, output: LineWriter, perBlock: Int, threads: Int,
                   diagnostics: Diagnostics) throws -> Sysexits {
        guard let rules = validator.state.rules else { throw ToolError(.dataErr, "\(dir): no genesis rules") }
        let spool = try Spool(path: dir, create: false)
        let cleaned = spool.cleanTemporary(olderThan: 36 * 3600)
        if cleaned > 0 { diagnostics.note("\(dir)/tmp: removed \(Plural.count(cleaned, "file")) left by interrupted writers over 36 h ago") }
        let limit = deadline.map { started + .nanoseconds(Int64($0 * 1e9)) }
        func pastDeadline() -> Bool { limit.map { ContinuousClock.now >= $0 } ?? false }
        // A block line is the stamp, the header and the transactions: keep the
        // transactions well inside max_block_bytes.
        let byteBudget = min(maxBytes ?? Int(rules.maxBlockBytes) / 2, Int(rules.maxBlockBytes) - 4096)
        let entries = try spool.entries()
        var next = 0
        // Entries are read ahead a window at a time, in order, and parsed and
        // signature-checked on all threads; the loop below then judges them
        // one by one exactly as it would have read them.
        let checkers = SignatureCheckers(workers: threads)
        var window: [SpoolEntry] = []
        var windowStart = 0
        func prepared(_ index: Int) -> SpoolEntry {
            if index < windowStart || index >= windowStart + window.count {
                windowStart = index
                let end = min(entries.count, index + RecordPipeline.defaultBatchLines)
                let contents = entries[index..<end].map { entry -> SpoolEntry.Read in
                    do throws(ToolError) {
                        return .content(try spool.read(entry, maxBytes: Int(rules.maxBlockBytes)))
                    } catch {
                        return .failed(error)
                    }
                }
                window = ParallelStage.map(contents, threads: threads) { worker, read in
                    SpoolEntry(read, checkers: checkers, worker: worker)
                }
            }
            return window[index - windowStart]
        }
        var blocks = 0, mined = 0, retiredDuplicates = 0, rejected = 0

        func giveUp() throws -> Sysexits {
            throw ToolError(.tempFail, "\(dir): --deadline reached after \(Plural.count(blocks, "block")); the entries not yet mined stay in the spool for the next run")
        }

        while true {
            if pastDeadline() { return try giveUp() }
            var candidate = validator.candidate()
            var taken: [String] = []
            var onChain: [String] = []
            var repeats: [String] = []
            var refused: [(name: String, reason: String)] = []
            gathering: while next < entries.count && candidate.transactions.count < perBlock {
                let entry = entries[next]
                let tx: Transaction, leaf: [UInt8], signature: Bool
                switch prepared(next) {
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
                if validator.state.contains(txid: tx.txid) {
                    onChain.append(entry.name)
                    next += 1
                    continue gathering
                }
                if !candidate.transactions.isEmpty && candidate.bytes + leaf.count + 1 > byteBudget { break gathering }
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
            retiredDuplicates += onChain.count

            let needed = blocks == 0 ? minTxs : max(minTxs, 1)
            if candidate.transactions.count < needed {
                rejected += try moveRejects(refused, spool: spool, dir: dir, diagnostics: diagnostics)
                if blocks == 0 && !entries.isEmpty || candidate.transactions.count > 0 {
                    diagnostics.note("\(dir): \(Plural.count(candidate.transactions.count, "transaction")) waiting, fewer than --min-txs \(minTxs); no block mined")
                }
                break
            }
            let block: Block
            do {
                block = try validator.mineAndAppend(candidate, to: file, key: minerKey,
                                                    threads: threads, shouldStop: pastDeadline)
            } catch is BlockMiner.Cancelled {
                return try giveUp()
            }
            try spool.retire(taken + repeats)
            retiredDuplicates += repeats.count
            rejected += try moveRejects(refused, spool: spool, dir: dir, diagnostics: diagnostics)
            blocks += 1
            mined += candidate.transactions.count
            try Mine.printMined(block, to: output)
            diagnostics.note("block \(block.height) \(block.claimedHash.displayHex): \(Plural.count(block.txs.count, "tx"))")
            if next >= entries.count { break }
        }
        diagnostics.note("\(dir): \(Plural.count(mined, "transaction")) mined in \(Plural.count(blocks, "block")), \(retiredDuplicates) already on the chain retired, \(rejected) rejected; tip \(validator.state.height) \(validator.state.tip.displayHex)")
        return rejected > 0 ? .dataErr : .ok
    }

    private func moveRejects(_ refused: [(name: String, reason: String)], spool: Spool, dir: String,
                             diagnostics: Diagnostics) throws -> Int {
        for (name, reason) in refused {
            diagnostics.error("\(dir)/new/\(name): \(reason); moved to rejected/")
            try spool.reject(name, reason: reason)
        }
        return refused.count
    }
}

/// One spool entry as read and, off the ordered path, parsed with its leaf
/// and signature verdict; `mineSpool` judges it in spool order.
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
                let (tx, leaf) = try Transaction.parseWithLeaf(try JSONValue.parse(line))
                self = .transaction(tx, leaf: leaf, signatureValid: checkers.isValid(tx, worker: worker))
            } catch {
                self = .unreadable(String(describing: error))
            }
        }
    }
}
