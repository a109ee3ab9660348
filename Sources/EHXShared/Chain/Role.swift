/// What a key may do on the chain (DESIGN "Records": roles). Roles are
/// granted in genesis or by authority-signed `key` transactions.
public enum Role: String, CaseIterable, Sendable, Comparable {
    case authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer

    /// The transaction types a holder of this role may sign.
    public var maySign: Set<TxType> {
        switch self {
        case .authority: return [.genesis, .key, .policy, .erasure]
        case .gateway, .device: return [.reading, .alert]
        case .miner: return [.stamp]
        case .manufacturer: return [.firmware]
        case .clinician, .physio, .researcher, .auditor: return [.access]
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    /// "gateway", or an error listing the roles there are.
    public static func parse(_ text: String) throws(RecordError) -> Role {
        guard let role = Role(rawValue: text) else {
            throw RecordError(field: "role", "unknown role \"\(text)\" (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return role
    }
}
