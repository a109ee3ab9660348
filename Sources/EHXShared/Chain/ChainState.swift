/// What the chain up to its tip establishes: rules, tip, recent times, every
/// txid, each device's last seq and the roles keys hold. Memory grows with
/// these facts, not with the chain's bytes.
public struct ChainState: Sendable {
    public static let medianTimeSpan = 11

    public private(set) var rules: ChainRules?
    public private(set) var genesisHash: SHA256Digest?
    public private(set) var height: Int64 = -1
    public private(set) var tip: SHA256Digest = .zero
    public private(set) var tipTime: UInt32 = 0
    public private(set) var firstTime: UInt32 = 0
    public private(set) var cumulativeWork: Double = 0
    public private(set) var txCount = 0
    public private(set) var countsByType: [TxType: Int] = [:]
    var recentTimes: [UInt32] = []
    var txids: Set<SHA256Digest> = []
    var deviceSeqs: [String: Int64] = [:]
    var roles: [Ed25519.PublicKey: Set<Role>] = [:]
    var pendingKeyChanges: [KeyChange] = []
    // Privacy: readers' X25519 keys and the read policy (ChainState+Policy.swift).
    var encryptionKeys: [Ed25519.PublicKey: X25519.PublicKey] = [:]
    var policyInForce: ReadPolicy?
    var pendingPolicy: ReadPolicy?

    public init() {}

    public func roles(of key: Ed25519.PublicKey) -> Set<Role> { roles[key] ?? [] }

    /// Signers per role, for summaries.
    public var keysPerRole: [Role: Int] {
        var counts: [Role: Int] = [:]
        for set in roles.values { for role in set { counts[role, default: 0] += 1 } }
        return counts
    }

    public func contains(txid: SHA256Digest) -> Bool { txids.contains(txid) }

    public func lastSeq(device: String) -> Int64? { deviceSeqs[device] }

    /// A block's time must exceed the median of the previous 11 (Bitcoin's rule).
    public var medianTimePast: UInt32 {
        let sorted = recentTimes.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Records a transaction of the block at `height` after checking it, so
    /// later transactions in the same block or chain are checked against it.
    /// It is recorded even when it breaks a rule, so one forgery does not
    /// hide a later duplicate.
    mutating func admit(_ tx: Transaction, height: Int64) -> [ChainProblem] {
        let found = problems(with: tx, height: height)
        record(tx, valid: found.isEmpty)
        return found
    }

    /// The rules a transaction breaks given everything recorded so far.
    func problems(with tx: Transaction, height: Int64) -> [ChainProblem] {
        var problems: [ChainProblem] = []
        if !tx.hasValidSignature {
            problems.append(ChainProblem(.signature, "Ed25519 signature does not verify for signer \(tx.signer.id.hex.prefix(16))", txid: tx.txid))
        }
        let held = roles(of: tx.signer)
        // Without genesis rules nobody holds a role; the validator reports
        // the missing genesis once instead of a role problem per transaction.
        if rules != nil && !held.contains(where: { $0.maySign.contains(tx.type) }) {
            let heldText = held.isEmpty ? "no role" : held.sorted().map(\.rawValue).joined(separator: ",")
            problems.append(ChainProblem(.role, "signer \(tx.signer.id.hex.prefix(16)) (\(heldText)) may not sign \(tx.type.rawValue) at height \(height)", txid: tx.txid))
        }
        if txids.contains(tx.txid) {
            problems.append(ChainProblem(.duplicateTxid, "transaction already on the chain", txid: tx.txid))
        }
        if let (device, seq) = Self.deviceSeq(of: tx), let last = deviceSeqs[device], seq <= last {
            problems.append(ChainProblem(.replay, "device \(device) seq \(seq) is not above its last seq \(last)", txid: tx.txid))
        }
        return problems
    }

    mutating func record(_ tx: Transaction, valid: Bool) {
        txids.insert(tx.txid)
        if let (device, seq) = Self.deviceSeq(of: tx), seq > deviceSeqs[device] ?? -1 {
            deviceSeqs[device] = seq
        }
        recordPrivacy(tx, valid: valid)
        if tx.type == .key, valid, let change = try? KeyChange(parsing: tx.body) {
            pendingKeyChanges.append(change)
        }
        txCount += 1
        countsByType[tx.type, default: 0] += 1
    }

    private static func deviceSeq(of tx: Transaction) -> (String, Int64)? {
        guard tx.type == .reading, let device = tx.body["device"]?.stringValue,
              let seq = tx.body["seq"]?.integerValue else { return nil }
        return (device, seq)
    }

    /// Adopts genesis rules: authorities and initial grants hold from block 1.
    mutating func adoptGenesis(_ rules: ChainRules) {
        self.rules = rules
        for key in rules.authorities { roles[key, default: []].insert(.authority) }
        for grant in rules.grants { roles[grant.key, default: []].insert(grant.role) }
    }

    /// Makes the block the tip. Key changes it carried take effect now, i.e.
    /// for the next block, so a block's validity never depends on its own order.
    mutating func advance(to header: BlockHeader, hash: SHA256Digest, height: Int64) {
        if height == 0 { genesisHash = hash; firstTime = header.time }
        self.height = height
        tip = hash
        tipTime = header.time
        recentTimes.append(header.time)
        if recentTimes.count > Self.medianTimeSpan { recentTimes.removeFirst() }
        if let target = try? CompactTarget(bits: header.bits) { cumulativeWork += target.work }
        applyPendingPrivacy()
        for change in pendingKeyChanges {
            switch change.action {
            case .grant: roles[change.key, default: []].insert(change.role)
            case .revoke: roles[change.key]?.remove(change.role)
            }
        }
        pendingKeyChanges.removeAll()
    }
}
