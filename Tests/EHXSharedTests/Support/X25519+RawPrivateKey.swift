@testable import EHXShared

extension X25519.PrivateKey {
    /// The raw scalar, which the RFC 9180 vectors compare.
    var rawRepresentation: [UInt8] {
        get throws(CryptoError) { try evpKey.rawPrivateKey() }
    }
}
