/// X25519 (RFC 7748) key agreement over libcrypto's EVP interface
/// (Backend/EVPKey.swift): the readers' encryption keys for sealed
/// payloads (HPKE's DHKEM).
public enum X25519 {
    public static let keyByteCount = 32

    public struct PrivateKey: Sendable {
        private let key: EVPKey
        public let publicKey: PublicKey

        /// A fresh key from libcrypto's CSPRNG.
        public init() throws(CryptoError) {
            try self.init(key: try EVPKey(generating: .x25519))
        }

        /// The raw 32-byte scalar (clamped by X25519 itself, as RFC 7748 says).
        public init(rawRepresentation: [UInt8]) throws(CryptoError) {
            guard rawRepresentation.count == X25519.keyByteCount else {
                throw .invalidLength(what: "X25519 private key", expected: X25519.keyByteCount, got: rawRepresentation.count)
            }
            try self.init(key: try EVPKey(rawPrivateKey: rawRepresentation, as: .x25519))
        }

        private init(key: EVPKey) throws(CryptoError) {
            self.key = key
            publicKey = try PublicKey(rawRepresentation: try key.rawPublicKey())
        }

        /// The backend key; tests read its raw scalar (RFC 9180 DeriveKeyPair).
        var evpKey: EVPKey { key }

        /// X25519(self, peer). Fails for a low-order peer key, whose shared
        /// secret is all zeros (RFC 7748 section 6.1, RFC 9180 section 7.1.4).
        public func sharedSecret(with peer: PublicKey) throws(CryptoError) -> [UInt8] {
            let secret = try key.sharedSecret(with: try EVPKey(rawPublicKey: peer.rawRepresentation, as: .x25519))
            // libcrypto already refuses an all-zero result; check anyway, in constant time.
            guard !ConstantTime.equals(secret, [UInt8](repeating: 0, count: X25519.keyByteCount)) else {
                throw .invalidKey("X25519 peer key has low order (all-zero shared secret)")
            }
            return secret
        }

        /// PKCS#8 PEM ("PRIVATE KEY"), or with a passphrase "ENCRYPTED PRIVATE
        /// KEY" (PBES2, scrypt N=2^14 r=8 p=1, AES-256-CBC), as for signing keys.
        public func pemRepresentation(passphrase: [UInt8]? = nil) throws(CryptoError) -> String {
            try key.privateKeyPEM(passphrase: passphrase)
        }

        public init(pemRepresentation: String, passphrase: [UInt8]? = nil) throws(CryptoError) {
            try self.init(key: try EVPKey(privateKeyPEM: pemRepresentation, passphrase: passphrase, as: .x25519))
        }
    }

    public struct PublicKey: Hashable, Sendable {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation: [UInt8]) throws(CryptoError) {
            guard rawRepresentation.count == X25519.keyByteCount else {
                throw .invalidLength(what: "X25519 public key", expected: X25519.keyByteCount, got: rawRepresentation.count)
            }
            self.rawRepresentation = rawRepresentation
        }

        /// SubjectPublicKeyInfo PEM ("PUBLIC KEY"), as `openssl pkey -pubout` writes it.
        public func pemRepresentation() throws(CryptoError) -> String {
            try EVPKey(rawPublicKey: rawRepresentation, as: .x25519).publicKeyPEM()
        }

        public init(pemRepresentation: String) throws(CryptoError) {
            rawRepresentation = try EVPKey(publicKeyPEM: pemRepresentation, as: .x25519).rawPublicKey()
        }

        /// The id sealed bodies use for a key named only by its X25519 key
        /// (the policy's emergency key): hex SHA-256 of the raw 32 bytes.
        public var id: SHA256Digest { SHA256.hash(rawRepresentation) }
    }
}

extension X25519.PrivateKey: CustomStringConvertible, CustomDebugStringConvertible {
    // Logging or interpolating a key shows only its public half's id.
    public var description: String { "X25519.PrivateKey(public key id \(publicKey.id.hex.prefix(16)))" }
    public var debugDescription: String { description }
}
