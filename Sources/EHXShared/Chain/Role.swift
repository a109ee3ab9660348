/// What a key may do on the chain (DESIGN "Records": roles). Roles are
/// granted in genesis or by authority-signed `key` transactions.
public enum Role: String, CaseIterable, Sendable, Comparable {
    case authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer

    /// The transaction types a holder of this role may sign.
    public var maySign: Set<TxType> { Set(TxType.allCases.filter(maySign)) }

    /// Whether a holder of this role may sign `type`: the chain asks for
    /// every transaction, so without building a set.
    public func maySign(_ type: TxType) -> Bool {
        switch self {
        case .authority: [.genesis, .key, .policy, .erasure].contains(type)
        case .gateway, .device: type == .reading || type == .alert
        case .miner: type == .stamp
        case .manufacturer: type == .firmware
        case .clinician, .physio, .researcher, .auditor: type == .access
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
