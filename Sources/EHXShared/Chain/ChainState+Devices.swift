/// Rules 2, device binding (man ehx.7, DEVICE BINDING): a reading or alert
/// counts only when the authority has bound its signer to its device (the
/// id, or for a sealed body the device pseudonym), and only when its `ts`
/// is no later than its block's time plus `readingSkewSeconds`. Bindings,
/// like roles, change from the block after the `key` transaction.
extension ChainState {
    /// How far a reading's own time may run ahead of its block's time: the
    /// gateway's default `--max-skew` (5 minutes) plus as much again for the
    /// miner's clock.
    public static let readingSkewSeconds: Int64 = 10 * 60

    /// The devices `key` may speak for, from the next block on.
    public func devices(boundTo key: Ed25519.PublicKey) -> Set<ByteIdentity> { deviceBindings[key] ?? [] }

    mutating func bind(_ key: Ed25519.PublicKey, to devices: [String]) {
        guard !devices.isEmpty else { return }
        deviceBindings[key, default: []].formUnion(devices.map(ByteIdentity.init))
    }

    /// A grant with devices grants the role, binds them and, with `seq`,
    /// sets their last seq; a revoke with devices unbinds only them.
    mutating func applyBinding(_ change: KeyChange) {
        switch change.action {
        case .grant:
            roles[change.key, default: []].insert(change.role)
            bind(change.key, to: change.devices)
            if let seq = change.seq {
                for device in change.devices { deviceSeqs[ByteIdentity(device)] = seq }
            }
        case .revoke:
            for device in change.devices { deviceBindings[change.key]?.remove(ByteIdentity(device)) }
        }
    }

    func deviceProblems(_ tx: Transaction, blockTime: UInt32?) -> [ChainProblem] {
        guard tx.type == .reading || tx.type == .alert, let device = tx.bodyString("device") else { return [] }
        var problems: [ChainProblem] = []
        if !(deviceBindings[tx.signer]?.contains(ByteIdentity(device)) ?? false) {
            problems.append(ChainProblem(.deviceBinding, "signer \(tx.signer.id.hex.prefix(16)) is not bound to device \(device); the authority binds it with a key grant listing the device", txid: tx.txid))
        }
        if let blockTime, let ts = tx.bodyTime, ts.unixSeconds > Int64(blockTime) + Self.readingSkewSeconds {
            let text = tx.bodyString("ts") ?? ts.description
            problems.append(ChainProblem(.readingTime, "\(tx.type.rawValue) ts \(text) is more than \(Self.readingSkewSeconds / 60) minutes after its block's time \(blockTime)", txid: tx.txid))
        }
        return problems
    }
}
