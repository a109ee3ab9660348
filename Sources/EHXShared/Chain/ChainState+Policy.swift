/// The privacy half of the chain state: which X25519 key each reader's
/// signing key has on the chain, and which read policy is in force. Like
/// key changes, a `policy` or an `enc` key in block N takes effect from
/// block N+1: the policy in force at a height is the last one before it.
extension ChainState {
    /// Notes a valid authority `policy` transaction; it takes effect on `advance`.
    mutating func recordPrivacy(_ tx: Transaction, valid: Bool) {
        guard valid, tx.type == .policy, let policy = try? ReadPolicy(parsing: tx.body) else { return }
        pendingPolicy = policy
    }

    /// Called by `advance` before the block's key changes are applied.
    mutating func applyPendingPrivacy() {
        for change in pendingKeyChanges where change.action == .grant {
            if let raw = change.encryptionKey, let key = try? X25519.PublicKey(rawRepresentation: raw) {
                encryptionKeys[change.key] = key
            }
        }
        if let pendingPolicy { policyInForce = pendingPolicy }
        pendingPolicy = nil
    }

    /// The read policy for the next block (nil: none on the chain yet).
    public var readPolicy: ReadPolicy? { policyInForce }

    /// The X25519 key granted to `key`, if any.
    public func encryptionKey(of key: Ed25519.PublicKey) -> X25519.PublicKey? { encryptionKeys[key] }

    /// Who a body of `kind` sealed now is wrapped for: every key that holds,
    /// for the next block, a role the policy lets see more than metadata and
    /// has an X25519 key, with the widest view its roles give; plus the
    /// policy's emergency key with the full view. Sorted by kid.
    public func sealRecipients(kind: ReadingKind) -> [SealRecipient] {
        guard let policy = policyInForce else { return [] }
        var out: [SealRecipient] = []
        for (key, held) in roles {
            guard let enc = encryptionKeys[key] else { continue }
            let view = held.map { policy.view(for: $0, kind: kind) }.max() ?? .metadata
            if view != .metadata { out.append(SealRecipient(kid: key.id.hex, key: enc, view: view)) }
        }
        if let emergency = policy.emergency {
            out.append(SealRecipient(kid: emergency.id.hex, key: emergency, view: .full))
        }
        return out.sorted { $0.kid < $1.kid }
    }
}

extension ChainState {
    /// Rules 2: a sealed body binds its transaction's type and signer
    /// (`aad` ehx-seal-v2), and every key it is wrapped for may read it at
    /// this block: it holds, now, a role whose view of the kind is at least
    /// the view it was wrapped in, with an X25519 key on the chain, or it is
    /// the emergency key of the policy in force. So no body on the chain is
    /// wrapped for a reader revoked (or narrowed by a policy) before its block.
    func sealedProblems(_ tx: Transaction, height: Int64, readers: inout SealReaders) -> [ChainProblem] {
        guard tx.type == .reading || tx.type == .alert, tx.hasSealedBody else { return [] }
        if tx.hasStoredBody {
            // The blob is checked against these ids when a store is at hand (StoreAudit).
            guard let stored = try? StoredBody(parsing: tx.body) else { return [] }
            return readerProblems(stored.readers, kind: stored.kind, tx: tx, height: height, readers: &readers)
        }
        guard let sealed = try? SealedBody(parsing: tx.body) else { return [] }
        var problems: [ChainProblem] = []
        if !sealed.bindsTransaction {
            problems.append(ChainProblem(.sealBinding, "the sealed body does not bind its type and signer (no \"aad\":\"\(SealedBody.boundDomain)\"); a rules-2 chain needs it", txid: tx.txid))
        }
        var kids: [ReadView: [String]] = [:]
        for (view, envelope) in sealed.views { kids[view] = envelope.recipients.map(\.kid) }
        return problems + readerProblems(kids, kind: sealed.kind, tx: tx, height: height, readers: &readers)
    }

    /// sealed-reader: every key a view is wrapped for may read it that way now.
    private func readerProblems(_ kids: [ReadView: [String]], kind: ReadingKind, tx: Transaction, height: Int64,
                                readers: inout SealReaders) -> [ChainProblem] {
        let allowed = readers.allowed(kind: kind, in: self)
        for view in [ReadView.full, .research] {
            for kid in kids[view] ?? [] {
                guard let may = allowed[kid], may >= view else {
                    return [ChainProblem(.sealedReader, "the \(view.rawValue) view is wrapped for \(kid.prefix(16)), which may not read \(kind.rawValue) that way at height \(height) (revoked, no role, or narrowed by the policy)", txid: tx.txid)]
                }
            }
        }
        return []
    }
}

/// One reader key a body is sealed for.
public struct SealRecipient: Sendable, Equatable {
    public let kid: String
    public let key: X25519.PublicKey
    public let view: ReadView

    public init(kid: String, key: X25519.PublicKey, view: ReadView) {
        self.kid = kid
        self.key = key
        self.view = view
    }
}
