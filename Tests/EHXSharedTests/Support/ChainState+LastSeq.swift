@testable import EHXShared

extension ChainState {
    /// A bound device's last seq on the chain (only tests ask).
    func lastSeq(device: String) -> Int64? { deviceSeqs[ByteIdentity(device)] }
}
