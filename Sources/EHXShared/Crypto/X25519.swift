import COpenSSL

/// X25519 (RFC 7748) key agreement over libcrypto's EVP interface: the
/// readers' encryption keys for sealed payloads (HPKE's DHKEM).
public enum X25519 {
    public static let keyByteCount = 32

    public struct PrivateKey: @unchecked Sendable {
        // @unchecked: the EVP_PKEY is never mutated after construction; each
        // derive uses its own EVP_PKEY_CTX.
        private let key: X25519KeyBox
        public let publicKey: PublicKey

        /// A fresh key from libcrypto's CSPRNG.
        public init() throws(CryptoError) {
            guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nil) else {
                throw .drainingQueue(operation: "X25519 key generation")
            }
            defer { EVP_PKEY_CTX_free(context) }
            var generated: OpaquePointer?
            guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &generated) == 1,
                  let generated else {
                throw .drainingQueue(operation: "X25519 key generation")
            }
            try self.init(taking: generated)
        }

        /// The raw 32-byte scalar (clamped by X25519 itself, as RFC 7748 says).
        public init(rawRepresentation: [UInt8]) throws(CryptoError) {
            guard rawRepresentation.count == X25519.keyByteCount else {
                throw .invalidLength(what: "X25519 private key", expected: X25519.keyByteCount, got: rawRepresentation.count)
            }
            let made = rawRepresentation.withNonNullBytes { pointer, length in
                EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nil, pointer, length)
            }
            guard let made else { throw .drainingQueue(operation: "X25519 private key import") }
            try self.init(taking: made)
        }

        fileprivate init(taking pointer: OpaquePointer) throws(CryptoError) {
            let box = X25519KeyBox(taking: pointer)
            guard EVP_PKEY_get_id(pointer) == EVP_PKEY_X25519 else { throw .invalidKey("not an X25519 key") }
            key = box
            var raw = [UInt8](repeating: 0, count: X25519.keyByteCount)
            var length = raw.count
            guard EVP_PKEY_get_raw_public_key(pointer, &raw, &length) == 1, length == X25519.keyByteCount else {
                throw .drainingQueue(operation: "X25519 public key export")
            }
            publicKey = try PublicKey(rawRepresentation: raw)
        }

        /// The raw scalar. Internal: only tests (RFC 9180 DeriveKeyPair) look at it.
        var rawRepresentation: [UInt8] {
            get throws(CryptoError) {
                var raw = [UInt8](repeating: 0, count: X25519.keyByteCount)
                var length = raw.count
                guard EVP_PKEY_get_raw_private_key(key.pointer, &raw, &length) == 1, length == X25519.keyByteCount else {
                    throw .drainingQueue(operation: "X25519 private key export")
                }
                return raw
            }
        }

        /// X25519(self, peer). Fails for a low-order peer key, whose shared
        /// secret is all zeros (RFC 7748 section 6.1, RFC 9180 section 7.1.4).
        public func sharedSecret(with peer: PublicKey) throws(CryptoError) -> [UInt8] {
            let peerBox = try X25519KeyBox(rawPublicKey: peer.rawRepresentation)
            guard let context = EVP_PKEY_CTX_new(key.pointer, nil) else {
                throw .drainingQueue(operation: "X25519 derive")
            }
            defer { EVP_PKEY_CTX_free(context) }
            var secret = [UInt8](repeating: 0, count: X25519.keyByteCount)
            var length = secret.count
            guard EVP_PKEY_derive_init(context) == 1,
                  EVP_PKEY_derive_set_peer(context, peerBox.pointer) == 1,
                  EVP_PKEY_derive(context, &secret, &length) == 1,
                  length == X25519.keyByteCount else {
                throw .drainingQueue(operation: "X25519 derive")
            }
            // libcrypto already refuses an all-zero result; check anyway, in constant time.
            guard !ConstantTime.equals(secret, [UInt8](repeating: 0, count: X25519.keyByteCount)) else {
                throw .invalidKey("X25519 peer key has low order (all-zero shared secret)")
            }
            return secret
        }

        /// PKCS#8 PEM ("PRIVATE KEY"), or with a passphrase "ENCRYPTED PRIVATE
        /// KEY" (PBES2, scrypt N=2^14 r=8 p=1, AES-256-CBC), as for signing keys.
        public func pemRepresentation(passphrase: [UInt8]? = nil) throws(CryptoError) -> String {
            try PrivateKeyPEM.write(key.pointer, passphrase: passphrase)
        }

        public init(pemRepresentation: String, passphrase: [UInt8]? = nil) throws(CryptoError) {
            try self.init(taking: try PrivateKeyPEM.read(pemRepresentation, passphrase: passphrase))
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
            let box = try X25519KeyBox(rawPublicKey: rawRepresentation)
            let bio = try PEMBuffer()
            guard PEM_write_bio_PUBKEY(bio.pointer, box.pointer) == 1 else {
                throw .drainingQueue(operation: "X25519 public key PEM")
            }
            return bio.contents()
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
            let box = X25519KeyBox(taking: parsed)
            guard EVP_PKEY_get_id(parsed) == EVP_PKEY_X25519 else { throw .invalidKey("not an X25519 key") }
            var raw = [UInt8](repeating: 0, count: X25519.keyByteCount)
            var length = raw.count
            guard EVP_PKEY_get_raw_public_key(box.pointer, &raw, &length) == 1, length == X25519.keyByteCount else {
                throw .drainingQueue(operation: "X25519 public key export")
            }
            self.rawRepresentation = raw
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

/// Owns one EVP_PKEY and frees it exactly once.
private final class X25519KeyBox {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    convenience init(rawPublicKey raw: [UInt8]) throws(CryptoError) {
        let made = raw.withNonNullBytes { pointer, length in
            EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nil, pointer, length)
        }
        guard let made else { throw .drainingQueue(operation: "X25519 public key import") }
        self.init(taking: made)
    }

    deinit { EVP_PKEY_free(pointer) }
}

/// A memory BIO for PEM writers.
final class PEMBuffer {
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

/// PKCS#8 PEM for any EVP_PKEY, plain or passphrase-encrypted, with the same
/// parameters Ed25519.PrivateKey uses (scrypt, AES-256-CBC).
enum PrivateKeyPEM {
    static func write(_ key: OpaquePointer, passphrase: [UInt8]?) throws(CryptoError) -> String {
        let bio = try PEMBuffer()
        guard let passphrase else {
            guard PEM_write_bio_PKCS8PrivateKey(bio.pointer, key, nil, nil, 0, nil, nil) == 1 else {
                throw .drainingQueue(operation: "PKCS#8 encoding")
            }
            return bio.contents()
        }
        guard !passphrase.isEmpty, passphrase.count <= Int(Int32.max) else {
            throw .libcrypto(operation: "PKCS#8 encryption", detail: "the passphrase is empty")
        }
        guard let info = EVP_PKEY2PKCS8(key) else { throw .drainingQueue(operation: "PKCS#8 encoding") }
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
            X509_ALGOR_free(algorithm)
            throw .drainingQueue(operation: "PKCS#8 encryption")
        }
        defer { X509_SIG_free(sealed) }
        guard PEM_write_bio_PKCS8(bio.pointer, sealed) == 1 else { throw .drainingQueue(operation: "PEM encoding") }
        return bio.contents()
    }

    /// The parsed key (caller owns it). Never prompts on a terminal.
    static func read(_ pem: String, passphrase: [UInt8]?) throws(CryptoError) -> OpaquePointer {
        let source = PEMPassphrase(passphrase)
        let unmanaged = Unmanaged.passRetained(source)
        defer { unmanaged.release() }
        let callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
            buffer, size, _, context in
            guard let buffer, let context else { return -1 }
            let source = Unmanaged<PEMPassphrase>.fromOpaque(context).takeUnretainedValue()
            source.wasAsked = true
            guard let passphrase = source.passphrase, !passphrase.isEmpty, passphrase.count <= Int(size) else { return -1 }
            passphrase.withNonNullBytes { pointer, length in
                UnsafeMutableRawPointer(buffer).copyMemory(from: pointer, byteCount: length)
            }
            return Int32(passphrase.count)
        }
        let parsed = Array(pem.utf8).withNonNullBytes { pointer, length -> OpaquePointer? in
            guard length <= Int(Int32.max), let bio = BIO_new_mem_buf(pointer, Int32(length)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, callback, unmanaged.toOpaque())
        }
        guard let parsed else {
            let detail = LibcryptoErrorQueue.drain()
            if source.wasAsked { throw source.passphrase == nil ? .passphraseRequired : .wrongPassphrase }
            throw .invalidKey("no PKCS#8 private key PEM found" + (detail.map { " (\($0))" } ?? ""))
        }
        return parsed
    }
}

private final class PEMPassphrase {
    let passphrase: [UInt8]?
    var wasAsked = false
    init(_ passphrase: [UInt8]?) { self.passphrase = passphrase }
}
