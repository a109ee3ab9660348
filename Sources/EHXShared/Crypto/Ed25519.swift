/// Ed25519 (RFC 8032, pure mode) over libcrypto's EVP interface (Backend/EVPKey.swift).
public enum Ed25519 {
    public static let seedByteCount = 32
    public static let publicKeyByteCount = 32
    public static let signatureByteCount = 64

    public struct PrivateKey: Sendable {
        private let key: EVPKey
        private let cachedPublicKey: PublicKey

        /// A fresh key from libcrypto's CSPRNG.
        public init() throws(CryptoError) {
            try self.init(key: try EVPKey(generating: .ed25519))
        }

        /// The 32-byte secret of RFC 8032 section 5.1.5 (what its test vectors call SECRET KEY).
        public init(seed: [UInt8]) throws(CryptoError) {
            guard seed.count == Ed25519.seedByteCount else {
                throw .invalidLength(what: "Ed25519 seed", expected: Ed25519.seedByteCount, got: seed.count)
            }
            try self.init(key: try EVPKey(rawPrivateKey: seed, as: .ed25519))
        }

        private init(key: EVPKey) throws(CryptoError) {
            self.key = key
            cachedPublicKey = try PublicKey(rawRepresentation: try key.rawPublicKey())
        }

        public var publicKey: Ed25519.PublicKey { cachedPublicKey }

        /// The backend key, for `Ed25519Signer` to set up its context once.
        var evpKey: EVPKey { key }

        /// A 64-byte signature over `message` (no pre-hash: Ed25519 hashes internally).
        public func signature(for message: [UInt8]) throws(CryptoError) -> [UInt8] {
            try key.signature(for: message, byteCount: Ed25519.signatureByteCount)
        }

        /// PKCS#8 PEM, encrypted when a passphrase is given (see `EVPKey.privateKeyPEM`).
        public func pemRepresentation(passphrase: [UInt8]? = nil) throws(CryptoError) -> String {
            try key.privateKeyPEM(passphrase: passphrase)
        }

        /// Reads PKCS#8 PEM, plain or encrypted. A passphrase given for a plain
        /// key is ignored.
        public init(pemRepresentation: String, passphrase: [UInt8]? = nil) throws(CryptoError) {
            try self.init(key: try EVPKey(privateKeyPEM: pemRepresentation, passphrase: passphrase, as: .ed25519))
        }
    }

    public struct PublicKey: Hashable, Sendable {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation: [UInt8]) throws(CryptoError) {
            guard rawRepresentation.count == Ed25519.publicKeyByteCount else {
                throw .invalidLength(what: "Ed25519 public key", expected: Ed25519.publicKeyByteCount,
                                     got: rawRepresentation.count)
            }
            self.rawRepresentation = rawRepresentation
        }

        /// The bytes hashed at once: the synthesized hash feeds an array to
        /// the hasher an element at a time, and the chain state looks keys
        /// up several times per transaction.
        public func hash(into hasher: inout Hasher) {
            rawRepresentation.withUnsafeBytes { hasher.combine(bytes: $0) }
        }

        /// The key's address: SHA-256 of the raw 32 bytes.
        public var id: SHA256Digest { SHA256.hash(rawRepresentation) }

        /// False for any malformed input (wrong length, non-canonical encodings,
        /// S out of range) as well as for a signature that does not match.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            guard let key = try? EVPKey(rawPublicKey: rawRepresentation, as: .ed25519) else {
                LibcryptoErrorQueue.clear()
                return false
            }
            return key.isValidSignature(signature, for: message)
        }

        /// SubjectPublicKeyInfo PEM ("PUBLIC KEY"), as `openssl pkey -pubout` writes it.
        public var pemRepresentation: String {
            if let key = try? EVPKey(rawPublicKey: rawRepresentation, as: .ed25519),
               let pem = try? key.publicKeyPEM() {
                return pem
            }
            // Only allocation failure gets here. An Ed25519 SPKI is a fixed DER
            // prefix plus the raw key, so it can still be produced exactly.
            LibcryptoErrorQueue.clear()
            return Self.fixedPrefixPEM(rawRepresentation)
        }

        static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

        static func fixedPrefixPEM(_ raw: [UInt8]) -> String {
            // PEM wants the standard alphabet, padded.
            let base64 = String(Base64URL.encode(spkiPrefix + raw).map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
            let padded = base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
            return "-----BEGIN PUBLIC KEY-----\n\(padded)\n-----END PUBLIC KEY-----\n"
        }

        public init(pemRepresentation: String) throws(CryptoError) {
            self = try PublicKey(rawRepresentation: try EVPKey(publicKeyPEM: pemRepresentation, as: .ed25519).rawPublicKey())
        }
    }
}

extension Ed25519.PrivateKey: CustomStringConvertible, CustomDebugStringConvertible {
    // Explicit so that logging or interpolating a key can only ever show its public id.
    public var description: String { "Ed25519.PrivateKey(public key id \(publicKey.id.hex.prefix(16)))" }
    public var debugDescription: String { description }
}
