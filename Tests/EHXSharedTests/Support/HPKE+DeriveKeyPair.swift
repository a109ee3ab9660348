@testable import EHXShared

extension HPKE {
    /// DeriveKeyPair (RFC 9180 section 7.1.3): a key pair from input keying
    /// material, which the RFC's test vectors give instead of keys.
    static func deriveKeyPair(ikm: [UInt8]) throws(CryptoError) -> X25519.PrivateKey {
        let prk = try labeledExtract(suite: kemSuiteID, salt: [], label: "dkp_prk", ikm: ikm)
        let sk = try labeledExpand(suite: kemSuiteID, prk: prk, label: "sk", info: [], length: X25519.keyByteCount)
        return try X25519.PrivateKey(rawRepresentation: sk)
    }
}
