/// What can go wrong in the crypto layer. Messages never contain key material.
public enum CryptoError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidLength(what: String, expected: Int, got: Int)
    case invalidKey(String)
    case libcrypto(operation: String, detail: String)
    case wrongPassphrase
    case passphraseRequired

    public var description: String {
        switch self {
        case let .invalidLength(what, expected, got):
            return "\(what) must be \(expected) bytes, got \(got)"
        case let .invalidKey(detail):
            return "invalid key: \(detail)"
        case let .libcrypto(operation, detail):
            return "\(operation) failed: \(detail)"
        case .wrongPassphrase:
            return "wrong passphrase"
        case .passphraseRequired:
            return "the key is encrypted: give a passphrase with --passphrase-file or EHX_PASSPHRASE"
        }
    }
}
