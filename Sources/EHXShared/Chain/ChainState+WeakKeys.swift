/// The weak-key rule on the chain (man ehx.7): no grant, genesis or read
/// policy may bring in an Ed25519 key of small order or an X25519 key of
/// low order. Such a transaction breaks the rule and so never takes effect.
extension ChainState {
    static func weakKeyProblems(of tx: Transaction) -> [ChainProblem] {
        var found: [String] = []
        switch tx.type {
        case .key:
            guard let change = try? KeyChange(parsing: tx.body), change.action == .grant else { return [] }
            if let weak = WeakKey.problem(with: change.key) { found.append("key: \(weak)") }
            if let raw = change.encryptionKey, let enc = try? X25519.PublicKey(rawRepresentation: raw),
               let weak = WeakKey.problem(with: enc) {
                found.append("enc: \(weak)")
            }
        case .policy:
            if let emergency = (try? ReadPolicy(parsing: tx.body))?.emergency, let weak = WeakKey.problem(with: emergency) {
                found.append("emergency: \(weak)")
            }
        case .genesis:
            guard let rules = try? ChainRules(parsing: tx.body) else { return [] }
            for (i, key) in rules.authorities.enumerated() {
                if let weak = WeakKey.problem(with: key) { found.append("authorities[\(i)]: \(weak)") }
            }
            for (i, grant) in rules.grants.enumerated() {
                if let weak = WeakKey.problem(with: grant.key) { found.append("grants[\(i)].key: \(weak)") }
            }
        default:
            return []
        }
        return found.map { ChainProblem(.weakKey, $0, txid: tx.txid) }
    }
}
