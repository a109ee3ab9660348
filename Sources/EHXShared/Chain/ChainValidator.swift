/// Applies every block rule of `man ehx.7` in chain order. ehx-verify feeds
/// it each line; ehx-mine replays the chain through it before extending it
/// and checks its own block with it before appending, so both tools judge a
/// block by the same code.
public struct ChainValidator: Sendable {
    /// How far a block's time may run ahead of the verifier's clock.
    public static let maxFutureSeconds: Int64 = 2 * 60 * 60
    public static let headerVersion: UInt32 = 1

    public internal(set) var state = ChainState()
    /// The verifier's "now" in Unix seconds (`--now` for audits of old exports).
    public var now: Int64
    /// Set after a line that could not be read: the next block's height and
    /// link are taken on trust so one damaged line is reported once, not as
    /// a cascade over every block after it.
    private var linkUnknown = false
    private var reportedNoGenesis = false

    public init(now: Int64) {
        self.now = now
    }

    /// Stands on a state restored from a snapshot (Chain/LocalChain.swift)
    /// instead of one made by replaying the chain.
    public init(now: Int64, state: ChainState) {
        self.now = now
        self.state = state
    }

    /// After a line that is no block: its time is unknown, so it takes its
    /// place among the last 11 times as the earliest possible one. The
    /// median of later blocks is then the lowest the real one can be, and
    /// the damaged line is not reported a second time as a later block's
    /// time-median problem.
    public mutating func skipUnreadableBlock() {
        linkUnknown = true
        state.recentTimes.append(0)
        if state.recentTimes.count > ChainState.medianTimeSpan { state.recentTimes.removeFirst() }
    }

    /// Checks `block` against every rule, then makes it the tip even when it
    /// broke some, so later blocks are judged on their own merits.
    public mutating func add(_ block: Block, lineBytes: Int) -> [ChainProblem] {
        add(block, lineBytes: lineBytes, facts: nil)
    }

    /// As `add(_:lineBytes:)`, with the expensive per-block work (header
    /// hash, Merkle root, signatures) done beforehand, possibly in parallel.
    public mutating func add(_ block: Block, lineBytes: Int, facts: BlockFacts?) -> [ChainProblem] {
        var problems: [ChainProblem] = []
        let header = block.header
        let hash = facts?.hash ?? header.hash
        let expectedHeight = state.height + 1

        if block.height == 0 {
            if state.height >= 0 || linkUnknown {
                problems.append(ChainProblem(.genesis, "a second genesis block"))
            }
        } else if state.rules == nil && !reportedNoGenesis {
            // Said once: without rules no later block can be judged for
            // roles or bits, and repeating it on every block adds nothing.
            reportedNoGenesis = true
            problems.append(ChainProblem(.genesis, "no readable genesis block before this one: bits and roles cannot be checked"))
        }
        // Genesis carries its own rules; adopt them before its checks so
        // bits and the authority's self-signature are judged by them.
        let genesis = block.height == 0 ? block.txs.first.flatMap { tx in
            tx.type == .genesis ? (try? ChainRules(parsing: tx.body)).map { (tx, $0) } : nil
        } : nil
        if let (_, rules) = genesis, state.rules == nil { state.adoptGenesis(rules) }
        let requiredBits = Retarget.requiredBits(at: linkUnknown ? block.height : expectedHeight, after: state)
        problems += HeaderCheck.problems(header, hash: hash, claimedHash: block.claimedHash, height: block.height,
                                         expecting: headerExpectation(requiredBits: requiredBits))
        if let (first, rules) = genesis, !rules.authorities.contains(first.signer) {
            problems.append(ChainProblem(.genesis, "genesis is not signed by one of the authorities it names", txid: first.txid))
        }
        if let rules = state.rules {
            if Int64(block.txs.count) > rules.maxBlockTxs {
                problems.append(ChainProblem(.blockSize, "\(block.txs.count) transactions; the limit is \(rules.maxBlockTxs)"))
            }
            if Int64(lineBytes) > rules.maxBlockBytes {
                problems.append(ChainProblem(.blockSize, "\(lineBytes) bytes; the limit is \(rules.maxBlockBytes)"))
            }
        }
        if Int64(header.time) > now + Self.maxFutureSeconds {
            problems.append(ChainProblem(.timeFuture, "time \(header.time) is more than 2 h after the clock (\(now)); ehx-verify --now judges an old export as of its time"))
        }
        let root = facts?.merkleRoot ?? block.merkleRoot
        if header.merkle != root {
            problems.append(ChainProblem(.merkle, "header merkle \(header.merkle.displayHex) but the transactions hash to \(root.displayHex)"))
        }

        problems += checkTransactions(block, signatures: facts?.signatures)
        state.advance(to: header, hash: hash, height: block.height, requiredBits: requiredBits)
        linkUnknown = false
        return problems
    }

    private mutating func checkTransactions(_ block: Block, signatures: [SignatureCheck]?) -> [ChainProblem] {
        var problems: [ChainProblem] = []
        var readers = SealReaders()
        for (index, tx) in block.txs.enumerated() {
            switch (block.height, index, tx.type) {
            case (0, 0, .genesis):
                break
            case (0, _, _):
                problems.append(ChainProblem(.genesis, "the genesis block holds only its genesis transaction", txid: tx.txid))
            case (_, _, .genesis):
                problems.append(ChainProblem(.genesis, "a genesis transaction outside block 0", txid: tx.txid))
            case (_, 0, .stamp):
                if let stamp = try? Stamp(parsing: tx.body) {
                    if stamp.height != block.height {
                        problems.append(ChainProblem(.stamp, "stamp says height \(stamp.height) in block \(block.height)", txid: tx.txid))
                    }
                    if let count = stamp.txs, count != Int64(block.txs.count) {
                        problems.append(ChainProblem(.stamp, "stamp says \(count) transactions in a block of \(block.txs.count)", txid: tx.txid))
                    }
                }
            case (_, 0, _):
                problems.append(ChainProblem(.stamp, "the first transaction of a block must be the miner's stamp, not \(tx.type.rawValue)", txid: tx.txid))
            case (_, _, .stamp):
                problems.append(ChainProblem(.stamp, "a stamp at position \(index + 1) of the block; only its first transaction may be one", txid: tx.txid))
            default:
                break
            }
            let signature = signatures.map { index < $0.count ? $0[index] : .compute } ?? .compute
            problems += state.admit(tx, height: block.height, blockTime: block.header.time, signature: signature, readers: &readers)
        }
        return problems
    }

    /// What the tip says the next header must be (HeaderCheck). After an
    /// unreadable line the height and link are not judged.
    private func headerExpectation(requiredBits: UInt32?) -> HeaderCheck.Expectation {
        HeaderCheck.Expectation(height: linkUnknown ? nil : state.height + 1, prev: linkUnknown ? nil : state.tip,
                                requiredBits: requiredBits, powLimit: state.rules?.bits,
                                medianTimePast: state.recentTimes.isEmpty ? nil : state.medianTimePast,
                                medianSpan: min(state.recentTimes.count, ChainState.medianTimeSpan))
    }

    // MARK: - Building the next block (ehx-mine)

    /// The height, bits and earliest time a new block on the tip must have.
    public var nextHeight: Int64 { state.height + 1 }

    public var nextBits: CompactTarget? {
        Retarget.requiredBits(at: nextHeight, after: state).flatMap { try? CompactTarget(bits: $0) }
    }

    public var earliestNextTime: UInt32 { state.medianTimePast &+ 1 }

    /// The verifier's clock moves forward to the live clock: a long-running
    /// miner judges its own new block by the time it mines it, not by the
    /// time it started (a fixed `now` would call its block from the future
    /// after 2 hours).
    mutating func catchUpClock() {
        now = max(now, Timestamp.now().unixSeconds)
    }

    /// Starts a candidate block whose transactions are admitted one by one.
    public func candidate() -> BlockCandidate {
        // The miner's block time is max(now, earliest): readings are judged
        // by it, and the block is judged again by its real time before it is appended.
        BlockCandidate(state: state, height: nextHeight, time: UInt32(clamping: max(Int64(earliestNextTime), now)))
    }
}

/// What `ChainBatch` computes for a block off the ordered path: its header
/// hash, its Merkle root and each transaction's signature check.
public struct BlockFacts: Sendable {
    public let hash: SHA256Digest
    public let merkleRoot: SHA256Digest
    public let signatures: [SignatureCheck]

    public init(hash: SHA256Digest, merkleRoot: SHA256Digest, signatures: [SignatureCheck]) {
        self.hash = hash
        self.merkleRoot = merkleRoot
        self.signatures = signatures
    }
}

/// Transactions being gathered for the next block: each is checked against
/// the chain and against those already admitted (duplicates, replays), with
/// the same rules the validator applies.
public struct BlockCandidate: Sendable {
    var state: ChainState
    public let height: Int64
    public private(set) var transactions: [Transaction] = []
    /// The admitted transactions' Merkle leaves (their canonical bytes), so
    /// the block's root and line are assembled without serializing again.
    public private(set) var leaves: [[UInt8]] = []
    public private(set) var bytes = 0
    /// The tip's sealed-body readers, for every transaction of the candidate.
    private var readers = SealReaders()

    /// The time the block is expected to get.
    public let time: UInt32

    init(state: ChainState, height: Int64, time: UInt32) {
        self.state = state
        self.height = height
        self.time = time
    }

    /// Drops this candidate's copy of the state; its transactions stay for
    /// mining and reporting, and nothing more can be admitted.
    mutating func releaseState() {
        state = ChainState()
    }

    /// Admits `tx` or says why not; a refused tx leaves the candidate unchanged.
    /// Upper bound of a block line's bytes besides its transactions' leaves
    /// and their commas: the block object, the header and the stamp.
    public static let frameBytes = 640

    /// The bytes of transactions one block takes: `--max-bytes` (default half
    /// of max_block_bytes), never more than the block can hold beside its
    /// frame.
    public static func byteBudget(maxBlockBytes: Int64, maxBytes: Int?) -> Int {
        max(0, min(maxBytes ?? Int(maxBlockBytes) / 2, Int(maxBlockBytes) - frameBytes))
    }

    /// Whether a transaction whose leaf is `leafBytes` long goes into this
    /// block: within `budget`, or, into an empty block, whenever a block of
    /// `maxBlockBytes` can hold it at all. Checked before admitting, so a
    /// block never grows past the chain's limit.
    public func hasRoom(forLeafBytes leafBytes: Int, budget: Int, maxBlockBytes: Int64) -> Bool {
        if transactions.isEmpty { return Self.canEverHold(leafBytes: leafBytes, maxBlockBytes: maxBlockBytes) }
        return bytes + leafBytes + 1 <= budget
    }

    /// A block of `maxBlockBytes` can hold this transaction beside its frame.
    public static func canEverHold(leafBytes: Int, maxBlockBytes: Int64) -> Bool {
        leafBytes + 1 + frameBytes <= Int(maxBlockBytes)
    }

    public mutating func admit(_ tx: Transaction) -> [ChainProblem] {
        admit(tx, leaf: tx.leaf, signature: .compute)
    }

    /// As `admit(_:)`, with the leaf and the signature's verdict computed
    /// beforehand (ehx-mine checks them on all threads). Only a transaction
    /// whose signature holds is admitted, which is what lets
    /// `ChainValidator.mineAndAppend` skip checking it a second time.
    public mutating func admit(_ tx: Transaction, leaf: [UInt8], signature: SignatureCheck) -> [ChainProblem] {
        if tx.type == .genesis || tx.type == .stamp {
            return [ChainProblem(tx.type == .genesis ? .genesis : .stamp, "\(tx.type.rawValue) transactions are made by ehx-keygen and ehx-mine, not taken from input", txid: tx.txid)]
        }
        let identity = state.identity(of: tx)
        let problems = state.problems(with: tx, height: height, blockTime: time, signature: signature == .trusted ? .compute : signature,
                                      identity: identity, readers: &readers)
        if problems.isEmpty {
            state.record(tx, valid: true, identity: identity, height: height)
            transactions.append(tx)
            leaves.append(leaf)
            bytes += leaf.count + 1
        }
        return problems
    }
}
