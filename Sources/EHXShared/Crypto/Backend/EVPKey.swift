import COpenSSL

/// The one libcrypto backend of ehx's key types, as swift-crypto keeps its
/// BoringSSL calls beside thin public types: `Ed25519` and `X25519` hold an
/// `EVPKey` and never see an EVP_PKEY themselves. Owns one EVP_PKEY and
/// frees it exactly once, however many struct copies share it.
///
/// @unchecked Sendable: the EVP_PKEY is never mutated after construction,
/// and libcrypto allows concurrent signing, verifying and deriving with one
/// key as long as each call has its own context (every method here does).
final class EVPKey: @unchecked Sendable {
    /// The two curves ehx uses; the name goes into error messages.
    enum Algorithm: Sendable {
        case ed25519, x25519

        var identifier: Int32 {
            switch self {
            case .ed25519: EVP_PKEY_ED25519
            case .x25519: EVP_PKEY_X25519
            }
        }

        var name: String {
            switch self {
            case .ed25519: "Ed25519"
            case .x25519: "X25519"
            }
        }

        /// Both keep their raw public and private keys in 32 bytes.
        static let rawByteCount = 32
    }

    let algorithm: Algorithm
    private let pointer: OpaquePointer

    /// Takes ownership of `pointer` (freed even when this throws) and
    /// refuses a key of another algorithm.
    init(taking pointer: OpaquePointer, as algorithm: Algorithm) throws(CryptoError) {
        self.pointer = pointer
        self.algorithm = algorithm
        guard EVP_PKEY_get_id(pointer) == algorithm.identifier else {
            throw .invalidKey("not an \(algorithm.name) key")
        }
    }

    deinit { EVP_PKEY_free(pointer) }

    /// A fresh key from libcrypto's CSPRNG.
    convenience init(generating algorithm: Algorithm) throws(CryptoError) {
        guard let context = EVP_PKEY_CTX_new_id(algorithm.identifier, nil) else {
            throw .drainingQueue(operation: "\(algorithm.name) key generation")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &generated) == 1,
              let generated else {
            throw .drainingQueue(operation: "\(algorithm.name) key generation")
        }
        try self.init(taking: generated, as: algorithm)
    }

    /// The private key from its raw 32 bytes (Ed25519's seed, X25519's scalar).
    convenience init(rawPrivateKey raw: [UInt8], as algorithm: Algorithm) throws(CryptoError) {
        let made = raw.withNonNullBytes { bytes, length in
            EVP_PKEY_new_raw_private_key(algorithm.identifier, nil, bytes, length)
        }
        guard let made else { throw .drainingQueue(operation: "\(algorithm.name) private key import") }
        try self.init(taking: made, as: algorithm)
    }

    convenience init(rawPublicKey raw: [UInt8], as algorithm: Algorithm) throws(CryptoError) {
        let made = raw.withNonNullBytes { bytes, length in
            EVP_PKEY_new_raw_public_key(algorithm.identifier, nil, bytes, length)
        }
        guard let made else { throw .drainingQueue(operation: "\(algorithm.name) public key import") }
        try self.init(taking: made, as: algorithm)
    }

    func rawPublicKey() throws(CryptoError) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: Algorithm.rawByteCount)
        var length = raw.count
        guard EVP_PKEY_get_raw_public_key(pointer, &raw, &length) == 1, length == Algorithm.rawByteCount else {
            throw .drainingQueue(operation: "\(algorithm.name) public key export")
        }
        return raw
    }

    func rawPrivateKey() throws(CryptoError) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: Algorithm.rawByteCount)
        var length = raw.count
        guard EVP_PKEY_get_raw_private_key(pointer, &raw, &length) == 1, length == Algorithm.rawByteCount else {
            throw .drainingQueue(operation: "\(algorithm.name) private key export")
        }
        return raw
    }

    /// The EVP_PKEY, valid only inside `body` (this object owns and frees it).
    func withPointer<Result>(_ body: (OpaquePointer) throws(CryptoError) -> Result) throws(CryptoError) -> Result {
        try withExtendedLifetime(self) { () throws(CryptoError) -> Result in try body(pointer) }
    }

    // MARK: - Ed25519

    /// A one-shot signature (no pre-hash: Ed25519 hashes internally).
    func signature(for message: [UInt8], byteCount: Int) throws(CryptoError) -> [UInt8] {
        let operation = "\(algorithm.name) sign"
        guard let context = EVP_MD_CTX_new() else { throw .drainingQueue(operation: operation) }
        defer { EVP_MD_CTX_free(context) }
        // The digest must be NULL: Ed25519 is a one-shot scheme with its own SHA-512.
        guard EVP_DigestSignInit(context, nil, nil, nil, pointer) == 1 else {
            throw .drainingQueue(operation: operation)
        }
        var signature = [UInt8](repeating: 0, count: byteCount)
        var length = signature.count
        let status = message.withNonNullBytes { bytes, count in
            EVP_DigestSign(context, &signature, &length, bytes, count)
        }
        guard status == 1, length == byteCount else { throw .drainingQueue(operation: operation) }
        return signature
    }

    /// False for a signature that does not verify or that libcrypto refuses
    /// to parse; the error queue is left empty either way.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else {
            LibcryptoErrorQueue.clear()
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, pointer) == 1 else {
            LibcryptoErrorQueue.clear()
            return false
        }
        let status = signature.withNonNullBytes { signatureBytes, signatureLength in
            message.withNonNullBytes { messageBytes, messageLength in
                EVP_DigestVerify(context, signatureBytes, signatureLength, messageBytes, messageLength)
            }
        }
        if status != 1 { LibcryptoErrorQueue.clear() }
        return status == 1
    }

    // MARK: - X25519

    /// The raw shared secret with `peer`. libcrypto refuses (throws here) an
    /// all-zero result, which is what a low-order peer gives.
    func sharedSecret(with peer: EVPKey) throws(CryptoError) -> [UInt8] {
        let operation = "\(algorithm.name) derive"
        guard let context = EVP_PKEY_CTX_new(pointer, nil) else { throw .drainingQueue(operation: operation) }
        defer { EVP_PKEY_CTX_free(context) }
        var secret = [UInt8](repeating: 0, count: Algorithm.rawByteCount)
        var length = secret.count
        let derived = withExtendedLifetime(peer) {
            EVP_PKEY_derive_init(context) == 1
                && EVP_PKEY_derive_set_peer(context, peer.pointer) == 1
                && EVP_PKEY_derive(context, &secret, &length) == 1
        }
        guard derived, length == Algorithm.rawByteCount else { throw .drainingQueue(operation: operation) }
        return secret
    }
}
