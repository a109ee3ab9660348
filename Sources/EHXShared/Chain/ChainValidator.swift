/// Applies every block rule of `man ehx.7` in chain order. ehx-verify feeds
/// it each line; ehx-mine replays the chain through it before extending it
/// and checks its own block with it before appending, so both tools judge a
/// block by the same code.
public struct ChainValidator: Sendable {
    /// How far a block's time may run ahead of the verifier's clock.
    public static let maxFutureSeconds: Int64 = 2 * 60 * 60
    public static let headerVersion: UInt32 = 1

    public private(set) var state = ChainState()
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

    public mutating func skipUnreadableBlock() {
        linkUnknown = true
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
        if !linkUnknown {
            if block.height != expectedHeight {
                problems.append(ChainProblem(.height, "height \(block.height) follows height \(state.height); expected \(expectedHeight)"))
            }
            if header.prev != state.tip {
                problems.append(ChainProblem(.prev, "prev \(header.prev.displayHex) is not the hash of the block before (\(state.tip.displayHex))"))
            }
        }
        if block.claimedHash != hash {
            problems.append(ChainProblem(.hash, "block says hash \(block.claimedHash.displayHex) but its header hashes to \(hash.displayHex)"))
        }
        if header.version != Self.headerVersion {
            problems.append(ChainProblem(.version, "header version \(header.version); this ehx knows \(Self.headerVersion)"))
        }

        if block.height == 0, let first = block.txs.first, first.type == .genesis,
           let rules = try? ChainRules(parsing: first.body) {
            // Genesis carries its own rules; adopt them before its checks so
            // bits and the authority's self-signature are judged by them.
            if !rules.authorities.contains(first.signer) {
                problems.append(ChainProblem(.genesis, "genesis is not signed by one of the authorities it names", txid: first.txid))
            }
            if state.rules == nil { state.adoptGenesis(rules) }
        }

        let target: CompactTarget?
        do {
            target = try CompactTarget(bits: header.bits)
        } catch {
            target = nil
            problems.append(ChainProblem(.bits, "\(String(header.bits, radix: 16)) is not a valid compact target: \(error)"))
        }
        let requiredBits = Retarget.requiredBits(at: linkUnknown ? block.height : expectedHeight, after: state)
        if let problem = bitsProblem(header, required: requiredBits) { problems.append(problem) }
        if let rules = state.rules {
            if Int64(block.txs.count) > rules.maxBlockTxs {
                problems.append(ChainProblem(.blockSize, "\(block.txs.count) transactions; the limit is \(rules.maxBlockTxs)"))
            }
            if Int64(lineBytes) > rules.maxBlockBytes {
                problems.append(ChainProblem(.blockSize, "\(lineBytes) bytes; the limit is \(rules.maxBlockBytes)"))
            }
        }
        if let target, !target.isMet(by: hash) {
            problems.append(ChainProblem(.pow, "hash \(hash.displayHex) is above the target for bits \(target.bitsHex)"))
        }
        if block.height > 0 && !state.recentTimes.isEmpty && header.time <= state.medianTimePast {
            problems.append(ChainProblem(.timeMedian, "time \(header.time) is not after the median \(state.medianTimePast) of the previous \(min(state.recentTimes.count, ChainState.medianTimeSpan)) blocks"))
        }
        if Int64(header.time) > now + Self.maxFutureSeconds {
            problems.append(ChainProblem(.timeFuture, "time \(header.time) is more than 2 h after now (\(now)); use --now for old exports"))
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
        for (index, tx) in block.txs.enumerated() {
            switch (block.height, index, tx.type) {
            case (0, 0, .genesis):
                break
            case (0, _, _):
                problems.append(ChainProblem(.genesis, "the genesis block holds only its genesis transaction", txid: tx.txid))
            case (_, _, .genesis):
                problems.append(ChainProblem(.genesis, "a genesis transaction outside block 0", txid: tx.txid))
            case (_, 0, .stamp):
                if let stamp = try? Stamp(parsing: tx.body), stamp.height != block.height {
                    problems.append(ChainProblem(.stamp, "stamp says height \(stamp.height) in block \(block.height)", txid: tx.txid))
                }
            case (_, 0, _):
                problems.append(ChainProblem(.stamp, "the first transaction of a block must be the miner's stamp, not \(tx.type.rawValue)", txid: tx.txid))
            case (_, _, .stamp):
                problems.append(ChainProblem(.stamp, "a second stamp in one block", txid: tx.txid))
            default:
                break
            }
            let signature = signatures.map { index < $0.count ? $0[index] : .compute } ?? .compute
            problems += state.admit(tx, height: block.height, signature: signature)
        }
        return problems
    }

    /// The one place the `bits` rule is judged: the bits the chain's rules
    /// require of the next block (today the genesis bits; retargeting goes here).
    /// The one place the bits rule is judged: fixed difficulty or Bitcoin's
    /// retarget (Chain/Retarget.swift) decides `required`.
    private func bitsProblem(_ header: BlockHeader, required: UInt32?) -> ChainProblem? {
        guard let required, header.bits != required else { return nil }
        return ChainProblem(.bits, "bits \(Block.hexBits(header.bits)); the chain's rules require \(Block.hexBits(required))")
    }

    // MARK: - Building the next block (ehx-mine)

    /// The height, bits and earliest time a new block on the tip must have.
    public var nextHeight: Int64 { state.height + 1 }

    public var nextBits: CompactTarget? {
        Retarget.requiredBits(at: nextHeight, after: state).flatMap { try? CompactTarget(bits: $0) }
    }

    public var earliestNextTime: UInt32 { state.medianTimePast &+ 1 }

    /// Starts a candidate block whose transactions are admitted one by one.
    public func candidate() -> BlockCandidate {
        BlockCandidate(state: state, height: nextHeight)
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

    init(state: ChainState, height: Int64) {
        self.state = state
        self.height = height
    }

    /// Admits `tx` or says why not; a refused tx leaves the candidate unchanged.
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
        let problems = state.problems(with: tx, height: height, signature: signature == .trusted ? .compute : signature)
        if problems.isEmpty {
            state.record(tx, valid: true)
            transactions.append(tx)
            leaves.append(leaf)
            bytes += leaf.count + 1
        }
        return problems
    }
}
