/// What the chain up to its tip establishes: rules, tip, recent times, every
/// txid, each device's last seq and the roles keys hold. Memory grows with
/// these facts, not with the chain's bytes.
public struct ChainState: Sendable {
    public static let medianTimeSpan = 11

    public internal(set) var rules: ChainRules?
    public internal(set) var genesisHash: SHA256Digest?
    public internal(set) var height: Int64 = -1
    public internal(set) var tip: SHA256Digest = .zero
    public internal(set) var tipTime: UInt32 = 0
    public internal(set) var firstTime: UInt32 = 0
    /// The exact sum of every block's work (fork choice compares this).
    public internal(set) var chainWork = ChainWork.zero
    /// Distinct keys that signed a valid transaction, by the role that let them.
    public internal(set) var signersByRole: [Role: Set<Ed25519.PublicKey>] = [:]
    var workByBits: [UInt32: ChainWork] = [:]
    /// Difficulty retarget (Chain/Retarget.swift): the bits the rules
    /// required of the tip, and the time of the block that opened the
    /// current retarget interval (height a multiple of the interval).
    public internal(set) var tipRequiredBits: UInt32 = 0
    public internal(set) var intervalStartTime: UInt32 = 0
    public internal(set) var txCount = 0
    public internal(set) var countsByType: [TxType: Int] = [:]
    var recentTimes: [UInt32] = []
    /// Every txid so far, and on rules 2 every valid reading's key and
    /// alert key, exactly, in about 12 bytes each (Chain/ChainKeys.swift).
    var keys = ChainKeys()
    /// Keyed by bytes, never by `String` (see `ByteIdentity`).
    var deviceSeqs: [ByteIdentity: Int64] = [:]
    // Rules 2 (ChainState+Devices.swift, ChainState+Alerts.swift).
    var deviceBindings: [Ed25519.PublicKey: Set<ByteIdentity>] = [:]
    var roles: [Ed25519.PublicKey: Set<Role>] = [:]
    var pendingKeyChanges: [KeyChange] = []
    // Privacy: readers' X25519 keys and the read policy (ChainState+Policy.swift).
    var encryptionKeys: [Ed25519.PublicKey: X25519.PublicKey] = [:]
    var policyInForce: ReadPolicy?
    var pendingPolicy: ReadPolicy?
    /// Erased blobs (ChainState+Erasure.swift): blob → the erasure's txid.
    var erasedBlobs: [SHA256Digest: SHA256Digest] = [:]
    /// Firmware releases (ChainState+Firmware.swift); nil when unknown.
    var firmwareLedger: FirmwareLedger? = FirmwareLedger()

    public init() {}

    public func roles(of key: Ed25519.PublicKey) -> Set<Role> { roles[key] ?? [] }

    /// Whether this very transaction (its txid) is on the chain.
    public func contains(_ tx: Transaction) -> Bool { isRecorded(identity(of: tx)) }

    /// Whether the chain's genesis asks for rules 2.
    var bindsDevices: Bool { rules?.bindsDevices ?? false }

    /// A block's time must exceed the median of the previous 11 (Bitcoin's rule).
    public var medianTimePast: UInt32 {
        let sorted = recentTimes.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Records a transaction of the block at `height` after checking it, so
    /// later transactions in the same block or chain are checked against it.
    /// It is recorded even when it breaks a rule, so one forgery does not
    /// hide a later duplicate.
    /// `signature` is the precomputed result of the signature check (nil: not
    /// checked here, because a checkpoint vouches for it).
    /// `readers`: the sealed-body readers of this block, worked out once for
    /// all its transactions (the state they come from changes only between blocks).
    mutating func admit(_ tx: Transaction, height: Int64, blockTime: UInt32? = nil, signature: SignatureCheck = .compute,
                        readers: inout SealReaders) -> [ChainProblem] {
        // Worked out once for both the check and the record.
        let identity = identity(of: tx)
        let found = problems(with: tx, height: height, blockTime: blockTime, signature: signature, identity: identity, readers: &readers)
        // The least role that may sign it, as sorting the roles would give,
        // without an array per transaction.
        if found.isEmpty, let role = roles(of: tx.signer).lazy.filter({ $0.maySign(tx.type) }).min() {
            signersByRole[role, default: []].insert(tx.signer)
        }
        record(tx, valid: found.isEmpty, identity: identity, height: height)
        return found
    }

    mutating func admit(_ tx: Transaction, height: Int64, blockTime: UInt32? = nil, signature: SignatureCheck = .compute) -> [ChainProblem] {
        var readers = SealReaders()
        return admit(tx, height: height, blockTime: blockTime, signature: signature, readers: &readers)
    }

    /// The rules a transaction breaks given everything recorded so far.
    /// `blockTime`: the time of the block that holds it (nil: not judged).
    func problems(with tx: Transaction, height: Int64, blockTime: UInt32? = nil, signature: SignatureCheck = .compute) -> [ChainProblem] {
        var readers = SealReaders()
        return problems(with: tx, height: height, blockTime: blockTime, signature: signature, identity: identity(of: tx), readers: &readers)
    }

    /// `identity`: `identity(of: tx)`, worked out by the caller.
    func problems(with tx: Transaction, height: Int64, blockTime: UInt32?, signature: SignatureCheck,
                  identity: TxIdentity, readers: inout SealReaders) -> [ChainProblem] {
        var problems: [ChainProblem] = []
        let signatureHolds: Bool
        switch signature {
        case .compute: signatureHolds = tx.hasValidSignature
        case .checked(let valid): signatureHolds = valid
        case .trusted: signatureHolds = true
        }
        if !signatureHolds {
            problems.append(ChainProblem(.signature, "Ed25519 signature does not verify for signer \(tx.signer.id.hex.prefix(16))", txid: tx.txid))
        }
        let held = roles(of: tx.signer)
        // Without genesis rules nobody holds a role; the validator reports
        // the missing genesis once instead of a role problem per transaction.
        if rules != nil && !held.contains(where: { $0.maySign(tx.type) }) {
            let heldText = held.isEmpty ? "no role" : held.sorted().map(\.rawValue).joined(separator: ",")
            problems.append(ChainProblem(.role, "signer \(tx.signer.id.hex.prefix(16)) (\(heldText)) may not sign \(tx.type.rawValue) at height \(height)", txid: tx.txid))
        }
        if isRecorded(identity) {
            problems.append(ChainProblem(.duplicateTxid, "transaction already on the chain", txid: tx.txid))
        }
        if let (device, seq) = identity.deviceSeq, let last = deviceSeqs[device], seq <= last {
            problems.append(ChainProblem(.replay, "device \(device) seq \(seq) is not above its last seq \(last)", txid: tx.txid))
        }
        problems += Self.weakKeyProblems(of: tx)
        if bindsDevices {
            problems += deviceProblems(tx, blockTime: blockTime)
            problems += alertProblems(tx)
            problems += sealedProblems(tx, height: height, readers: &readers)
        }
        return problems
    }

    mutating func record(_ tx: Transaction, valid: Bool, identity: TxIdentity, height: Int64) {
        if let reading = identity.readingKey {
            keys.insert(bindsDevices && valid ? .validReading : .reading, key: reading, txid: identity.txid)
        } else {
            keys.insert(.plain, key: identity.txid)
        }
        if let (device, seq) = identity.deviceSeq, seq > deviceSeqs[device] ?? -1 {
            deviceSeqs[device] = seq
        }
        if bindsDevices && valid { recordAlert(tx) }
        recordPrivacy(tx, valid: valid)
        recordErasure(tx, valid: valid)
        recordFirmware(tx, valid: valid, height: height)
        if tx.type == .key, valid, let change = try? KeyChange(parsing: tx.body) {
            pendingKeyChanges.append(change)
        }
        txCount += 1
        countsByType[tx.type, default: 0] += 1
    }

    static func deviceSeq(of tx: Transaction) -> (ByteIdentity, Int64)? {
        guard tx.type == .reading, let device = tx.bodyString("device"), let seq = tx.bodySeq else { return nil }
        return (ByteIdentity(device), seq)
    }

    /// Adopts genesis rules: authorities and initial grants hold from block 1.
    mutating func adoptGenesis(_ rules: ChainRules) {
        self.rules = rules
        // A weak key is reported (weak-key) and holds no role.
        for key in rules.authorities where !key.hasSmallOrder { roles[key, default: []].insert(.authority) }
        for grant in rules.grants where !grant.key.hasSmallOrder {
            roles[grant.key, default: []].insert(grant.role)
            bind(grant.key, to: grant.devices)
        }
    }

    /// Makes the block the tip. Key changes it carried take effect now, i.e.
    /// for the next block, so a block's validity never depends on its own order.
    mutating func advance(to header: BlockHeader, hash: SHA256Digest, height: Int64, requiredBits: UInt32? = nil) {
        if height == 0 { genesisHash = hash; firstTime = header.time }
        tipRequiredBits = requiredBits ?? header.bits
        if let interval = rules?.retarget?.interval, height % interval == 0 { intervalStartTime = header.time }
        self.height = height
        tip = hash
        tipTime = header.time
        recentTimes.append(header.time)
        if recentTimes.count > Self.medianTimeSpan { recentTimes.removeFirst() }
        if let target = try? CompactTarget(bits: header.bits) {
            if let known = workByBits[header.bits] {
                chainWork += known
            } else {
                let work = ChainWork(of: target)
                workByBits[header.bits] = work
                chainWork += work
            }
        }
        applyPendingPrivacy()
        for change in pendingKeyChanges {
            if bindsDevices && !change.devices.isEmpty {
                applyBinding(change)
                continue
            }
            switch change.action {
            case .grant: roles[change.key, default: []].insert(change.role)
            case .revoke: roles[change.key]?.remove(change.role)
            }
        }
        pendingKeyChanges.removeAll()
    }
}

/// How a transaction's signature is judged: checked now, checked earlier
/// (in parallel, by `ChainBatch`), or vouched for by a trusted checkpoint.
public enum SignatureCheck: Sendable, Equatable {
    case compute
    case checked(Bool)
    case trusted
}

/// A txid as four machine words, so a chain's set of txids costs about 32
/// bytes a transaction plus the set's slack.
struct TxidKey: Hashable, Sendable {
    let a: UInt64, b: UInt64, c: UInt64, d: UInt64

    static let zero = TxidKey(a: 0, b: 0, c: 0, d: 0)

    init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
        (self.a, self.b, self.c, self.d) = (a, b, c, d)
    }

    init(_ digest: SHA256Digest) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { out in
            digest.withUnsafeBytes { input in out.copyMemory(from: input) }
        }
        (a, b, c, d) = words
    }
}
