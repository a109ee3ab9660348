import COpenSSL

/// Ed25519 (RFC 8032, pure mode) over libcrypto's EVP interface.
public enum Ed25519 {
    public static let seedByteCount = 32
    public static let publicKeyByteCount = 32
    public static let signatureByteCount = 64

    public struct PrivateKey: @unchecked Sendable {
        // @unchecked: the EVP_PKEY is never mutated after construction, and
        // libcrypto allows concurrent signing with one key (each call below
        // uses its own EVP_MD_CTX).
        private let key: EVPKeyBox
        private let cachedPublicKey: PublicKey

        /// A fresh key from libcrypto's CSPRNG.
        public init() throws(CryptoError) {
            guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
                throw .drainingQueue(operation: "Ed25519 key generation")
            }
            defer { EVP_PKEY_CTX_free(context) }
            var generated: OpaquePointer?
            guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &generated) == 1,
                  let generated else {
                throw .drainingQueue(operation: "Ed25519 key generation")
            }
            try self.init(taking: generated)
        }

        /// The 32-byte secret of RFC 8032 section 5.1.5 (what its test vectors call SECRET KEY).
        public init(seed: [UInt8]) throws(CryptoError) {
            guard seed.count == Ed25519.seedByteCount else {
                throw .invalidLength(what: "Ed25519 seed", expected: Ed25519.seedByteCount, got: seed.count)
            }
            let made = seed.withNonNullBytes { pointer, length in
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, pointer, length)
            }
            guard let made else { throw .drainingQueue(operation: "Ed25519 private key import") }
            try self.init(taking: made)
        }

        /// Takes ownership of `pointer` (freed even when this throws).
        fileprivate init(taking pointer: OpaquePointer) throws(CryptoError) {
            let box = EVPKeyBox(taking: pointer)
            guard EVP_PKEY_get_id(pointer) == EVP_PKEY_ED25519 else {
                throw .invalidKey("not an Ed25519 key")
            }
            key = box
            cachedPublicKey = try box.rawPublicKey()
        }

        public var publicKey: Ed25519.PublicKey { cachedPublicKey }

        /// The EVP_PKEY, for `Ed25519Signer` to initialise its context once.
        /// Valid only inside `body`: this struct's box owns and frees it.
        func withEVPKey<Result>(_ body: (OpaquePointer) -> Result) -> Result {
            withExtendedLifetime(key) { body(key.pointer) }
        }

        /// A 64-byte signature over `message` (no pre-hash: Ed25519 hashes internally).
        public func signature(for message: [UInt8]) throws(CryptoError) -> [UInt8] {
            guard let context = EVP_MD_CTX_new() else {
                throw .drainingQueue(operation: "Ed25519 sign")
            }
            defer { EVP_MD_CTX_free(context) }
            // The digest must be NULL: Ed25519 is a one-shot scheme with its own SHA-512.
            guard EVP_DigestSignInit(context, nil, nil, nil, key.pointer) == 1 else {
                throw .drainingQueue(operation: "Ed25519 sign")
            }
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            var length = signature.count
            let status = message.withNonNullBytes { pointer, count in
                EVP_DigestSign(context, &signature, &length, pointer, count)
            }
            guard status == 1, length == Ed25519.signatureByteCount else {
                throw .drainingQueue(operation: "Ed25519 sign")
            }
            return signature
        }

        /// PKCS#8 PEM. Without a passphrase: "PRIVATE KEY". With one: "ENCRYPTED
        /// PRIVATE KEY", PBES2 with scrypt (N=2^14, r=8, p=1, as `openssl pkcs8
        /// -scrypt`) and AES-256-CBC; scrypt because PEM_write_bio_PKCS8PrivateKey's
        /// PBKDF2 default of 2048 iterations is cheap to brute-force.
        public func pemRepresentation(passphrase: [UInt8]? = nil) throws(CryptoError) -> String {
            let bio = try MemoryBIO()
            if let passphrase {
                try writeEncrypted(to: bio, passphrase: passphrase)
            } else {
                guard PEM_write_bio_PKCS8PrivateKey(bio.pointer, key.pointer, nil, nil, 0, nil, nil) == 1 else {
                    throw .drainingQueue(operation: "PKCS#8 encoding")
                }
            }
            return bio.contents()
        }

        private func writeEncrypted(to bio: MemoryBIO, passphrase: [UInt8]) throws(CryptoError) {
            // An empty passphrase cannot be told apart from "none" when reading back.
            guard !passphrase.isEmpty, passphrase.count <= Int(Int32.max) else {
                throw .libcrypto(operation: "PKCS#8 encryption", detail: "the passphrase is empty")
            }
            guard let info = EVP_PKEY2PKCS8(key.pointer) else {
                throw .drainingQueue(operation: "PKCS#8 encoding")
            }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard let algorithm = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nil, 0, nil, 1 << 14, 8, 1) else {
                throw .drainingQueue(operation: "PKCS#8 encryption")
            }
            let sealed = passphrase.withNonNullBytes { pointer, length in
                pointer.withMemoryRebound(to: CChar.self, capacity: length) {
                    PKCS8_set0_pbe($0, Int32(length), info, algorithm)
                }
            }
            guard let sealed else {
                // PKCS8_set0_pbe only takes ownership of the algorithm on success.
                X509_ALGOR_free(algorithm)
                throw .drainingQueue(operation: "PKCS#8 encryption")
            }
            defer { X509_SIG_free(sealed) }
            guard PEM_write_bio_PKCS8(bio.pointer, sealed) == 1 else {
                throw .drainingQueue(operation: "PEM encoding")
            }
        }

        /// Reads PKCS#8 PEM, plain or encrypted. A passphrase given for a plain
        /// key is ignored.
        public init(pemRepresentation: String, passphrase: [UInt8]? = nil) throws(CryptoError) {
            let source = PassphraseSource(passphrase)
            let unmanaged = Unmanaged.passRetained(source)
            defer { unmanaged.release() }
            // Always pass a callback: with none, libcrypto would prompt on the terminal.
            let callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
                buffer, size, _, context in
                guard let buffer, let context else { return -1 }
                let source = Unmanaged<PassphraseSource>.fromOpaque(context).takeUnretainedValue()
                source.wasAsked = true
                guard let passphrase = source.passphrase, !passphrase.isEmpty, passphrase.count <= Int(size) else {
                    return -1
                }
                passphrase.withNonNullBytes { pointer, length in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: pointer, byteCount: length)
                }
                return Int32(passphrase.count)
            }
            let parsed = Array(pemRepresentation.utf8).withNonNullBytes { pointer, length -> OpaquePointer? in
                guard length <= Int(Int32.max), let bio = BIO_new_mem_buf(pointer, Int32(length)) else { return nil }
                defer { BIO_free(bio) }
                return PEM_read_bio_PrivateKey(bio, nil, callback, unmanaged.toOpaque())
            }
            guard let parsed else {
                let detail = LibcryptoErrorQueue.drain()
                if source.wasAsked {
                    throw source.passphrase == nil ? .passphraseRequired : .wrongPassphrase
                }
                throw .invalidKey("no PKCS#8 private key PEM found" + (detail.map { " (\($0))" } ?? ""))
            }
            try self.init(taking: parsed)
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

        /// The key's address: SHA-256 of the raw 32 bytes.
        public var id: SHA256Digest { SHA256.hash(rawRepresentation) }

        /// False for any malformed input (wrong length, non-canonical encodings,
        /// S out of range) as well as for a signature that does not match.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            guard let key = try? EVPKeyBox(rawPublicKey: rawRepresentation),
                  let context = EVP_MD_CTX_new() else {
                LibcryptoErrorQueue.clear()
                return false
            }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1 else {
                LibcryptoErrorQueue.clear()
                return false
            }
            let status = signature.withNonNullBytes { signaturePointer, signatureLength in
                message.withNonNullBytes { messagePointer, messageLength in
                    EVP_DigestVerify(context, signaturePointer, signatureLength, messagePointer, messageLength)
                }
            }
            if status != 1 { LibcryptoErrorQueue.clear() }
            return status == 1
        }

        /// SubjectPublicKeyInfo PEM ("PUBLIC KEY"), as `openssl pkey -pubout` writes it.
        public var pemRepresentation: String {
            if let key = try? EVPKeyBox(rawPublicKey: rawRepresentation),
               let bio = try? MemoryBIO(),
               PEM_write_bio_PUBKEY(bio.pointer, key.pointer) == 1 {
                return bio.contents()
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
            let parsed = Array(pemRepresentation.utf8).withNonNullBytes { pointer, length -> OpaquePointer? in
                guard length <= Int(Int32.max), let bio = BIO_new_mem_buf(pointer, Int32(length)) else { return nil }
                defer { BIO_free(bio) }
                return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
            }
            guard let parsed else {
                let detail = LibcryptoErrorQueue.drain()
                throw .invalidKey("no SubjectPublicKeyInfo PEM found" + (detail.map { " (\($0))" } ?? ""))
            }
            let box = EVPKeyBox(taking: parsed)
            guard EVP_PKEY_get_id(parsed) == EVP_PKEY_ED25519 else {
                throw .invalidKey("not an Ed25519 key")
            }
            self = try box.rawPublicKey()
        }
    }
}

extension Ed25519.PrivateKey: CustomStringConvertible, CustomDebugStringConvertible {
    // Explicit so that logging or interpolating a key can only ever show its public id.
    public var description: String { "Ed25519.PrivateKey(public key id \(publicKey.id.hex.prefix(16)))" }
    public var debugDescription: String { description }
}

/// Owns one EVP_PKEY and frees it exactly once, however many struct copies share it.
private final class EVPKeyBox {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    convenience init(rawPublicKey raw: [UInt8]) throws(CryptoError) {
        let made = raw.withNonNullBytes { pointer, length in
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, pointer, length)
        }
        guard let made else { throw .drainingQueue(operation: "Ed25519 public key import") }
        self.init(taking: made)
    }

    deinit { EVP_PKEY_free(pointer) }

    func rawPublicKey() throws(CryptoError) -> Ed25519.PublicKey {
        var raw = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
        var length = raw.count
        guard EVP_PKEY_get_raw_public_key(pointer, &raw, &length) == 1,
              length == Ed25519.publicKeyByteCount else {
            throw .drainingQueue(operation: "Ed25519 public key export")
        }
        return try Ed25519.PublicKey(rawRepresentation: raw)
    }
}

/// A growable in-memory BIO that PEM writers fill.
private final class MemoryBIO {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .drainingQueue(operation: "BIO allocation") }
        pointer = bio
    }

    deinit { BIO_free(pointer) }

    func contents() -> String {
        var data: UnsafeMutablePointer<CChar>?
        let length = ehx_bio_get_mem_data(pointer, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }
}

/// What the PEM password callback reads from and reports back through.
private final class PassphraseSource {
    let passphrase: [UInt8]?
    var wasAsked = false
    init(_ passphrase: [UInt8]?) { self.passphrase = passphrase }
}
