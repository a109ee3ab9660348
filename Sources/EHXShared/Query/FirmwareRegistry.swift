/// The firmware releases a chain records (`ehx-query firmware`), judged as
/// `ChainValidator` judges them: a release counts only when its signature
/// holds and its signer held the `manufacturer` role at the height of its
/// block. A release is withdrawn by a later firmware
/// transaction with the same vendor, model, version and sha256 and
/// `"revoked":true`, signed by any key that held the manufacturer role at
/// its height (revocation fails safe: at worst a release is wrongly
/// withdrawn, never wrongly accepted). Revoking a manufacturer's key stops
/// its new releases; the ones it signed while it held the role stand until
/// revoked themselves.
public struct FirmwareRegistry: Sendable {
    public typealias Release = FirmwareLedger.Release

    public private(set) var ledger = FirmwareLedger()
    /// Where the ledger came from: the chain state (snapshot and the blocks
    /// after it) or a replay of every block.
    public private(set) var source = Source.replay
    private var validator: ChainValidator

    public enum Source: Sendable, Equatable {
        /// From the chain state; `blocksRead`: blocks read past the snapshot.
        case state(blocksRead: Int)
        case replay
    }

    public var releases: [Release] { ledger.releases }

    public init(now: Int64) {
        validator = ChainValidator(now: now)
    }

    /// The registry of a validated chain: its ledger, standing on its tip.
    private init(_ local: LocalChain, ledger: FirmwareLedger) {
        validator = local.validator
        self.ledger = ledger
        source = .state(blocksRead: local.replayedBlocks)
    }

    /// Replays one block. Throws (status 1) when the block itself breaks
    /// the chain's rules: nothing after it can be trusted.
    public mutating func add(_ block: Block, lineBytes: Int, facts: BlockFacts? = nil) throws(ToolError) {
        let problems = validator.add(block, lineBytes: lineBytes, facts: facts)
        if let broken = problems.first(where: { $0.txid == nil }) {
            throw ToolError(.checkedBad, "the chain breaks its rules at height \(block.height) (\(broken)); run ehx-verify")
        }
        for tx in block.txs where tx.type == .firmware {
            let own = problems.filter { $0.txid == tx.txid }
            ledger.record(tx, height: block.height, invalidReason: own.isEmpty ? nil : own.map(\.description).joined(separator: "; "))
        }
    }

    /// The registry of the chain at `chain` (pinning its genesis when
    /// `genesis` is given). From the chain state first (`LocalChain`: the
    /// snapshot beside the chain, then only the blocks after it, signatures
    /// checked on `threads` threads), which holds every release of a chain
    /// that keeps its rules. A chain the state cannot vouch for (a rule
    /// broken anywhere), a snapshot from before the state kept releases, or
    /// one another account keeps (not trusted, and not worth a message on
    /// every run), is replayed block by block instead, so a release that
    /// does not count is listed with the rule it breaks.
    public static func load(chain: String, now: Int64, genesis: SHA256Digest? = nil, threads: Int = 1,
                            diagnostics: Diagnostics) throws(ToolError) -> FirmwareRegistry {
        if LocalChain.snapshotIsOwnOrAbsent(chain: chain),
           let local = try? LocalChain.open(chain: chain, now: now, threads: threads, diagnostics: diagnostics),
           let ledger = local.state.firmware {
            if let genesis {
                // Held to the genesis line itself, read again: a snapshot cannot stand in for the pin.
                let problems = try local.pinProblems(ChainPins(genesis: genesis))
                if let first = problems.first { throw ToolError(.checkedBad, "\(chain): \(first)") }
            }
            return FirmwareRegistry(local, ledger: ledger)
        }
        return try replay(chain: chain, now: now, genesis: genesis, threads: threads)
    }

    /// Reads the whole chain through the validator, block by block, each
    /// block parsed and its signatures checked on `threads` workers ahead
    /// of the ordered rules.
    public static func replay(chain: String, now: Int64, genesis: SHA256Digest? = nil, threads: Int = 1) throws(ToolError) -> FirmwareRegistry {
        var registry = FirmwareRegistry(now: now)
        try ChainReader.forEachPreparedBlock(path: chain, threads: threads) { (block, bytes, facts) throws(ToolError) in
            if block.height == 0, let genesis, block.claimedHash != genesis {
                throw pinFailure(chain: chain, found: block.claimedHash, pinned: genesis)
            }
            try registry.add(block, lineBytes: bytes, facts: facts)
        }
        return registry
    }

    private static func pinFailure(chain: String, found: SHA256Digest, pinned: SHA256Digest) -> ToolError {
        ToolError(.checkedBad, "\(chain): genesis \(found.displayHex) is not the pinned \(pinned.displayHex)")
    }

    public func matching(model: String, vendor: String?) -> [Release] {
        ledger.matching(model: model, vendor: vendor)
    }

    /// The last release of the model (chain order) that counts.
    public func latest(model: String, vendor: String? = nil) -> Release? {
        matching(model: model, vendor: vendor).last(where: \.counts)
    }

    public enum Verdict: Sendable {
        case accepted(Release)
        case rejected(String)
    }

    /// Whether an image with this hash and size is a registered, counting,
    /// unrevoked release of the model.
    public func check(model: String, vendor: String? = nil, sha256: SHA256Digest, size: Int64) -> Verdict {
        let forModel = matching(model: model, vendor: vendor)
        let what = vendor.map { "model \(model) of \($0)" } ?? "model \(model)"
        guard !forModel.isEmpty else { return .rejected("unknown \(what): no firmware release is registered for it") }
        let same = forModel.filter { $0.release.sha256 == sha256 }
        if let good = same.first(where: { $0.counts && $0.release.size == size }) { return .accepted(good) }
        guard let r = same.last else {
            let latest = latest(model: model, vendor: vendor).map { " (latest registered: version \($0.release.version))" } ?? ""
            return .rejected("sha256 \(sha256.hex) is not a registered release of \(what)\(latest)")
        }
        if let reason = r.invalidReason {
            return .rejected("release \(r.release.version) of \(what) (tx \(r.txid.hex.prefix(16)), height \(r.height)) does not count: \(reason)")
        }
        if let at = r.revokedAt {
            return .rejected("release \(r.release.version) of \(what) (tx \(r.txid.hex.prefix(16))) was revoked at height \(at)")
        }
        return .rejected("size \(size) differs from the registered size \(r.release.size) of release \(r.release.version)")
    }
}
