/// Transaction types (DESIGN "Records").
public enum TxType: String, CaseIterable, Sendable {
    case genesis, key, policy, reading, alert, access, firmware, stamp, erasure
}
