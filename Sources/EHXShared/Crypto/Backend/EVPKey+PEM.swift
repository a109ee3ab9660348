import COpenSSL

/// PEM for both key types: PKCS#8 private keys (plain, or encrypted with a
/// passphrase) and SubjectPublicKeyInfo public keys, as `openssl pkey`
/// reads and writes them.
extension EVPKey {
    /// PKCS#8 PEM. Without a passphrase: "PRIVATE KEY". With one: "ENCRYPTED
    /// PRIVATE KEY", PBES2 with scrypt (N=2^14, r=8, p=1, as `openssl pkcs8
    /// -scrypt`) and AES-256-CBC; scrypt because PEM_write_bio_PKCS8PrivateKey's
    /// PBKDF2 default of 2048 iterations is cheap to brute-force.
    func privateKeyPEM(passphrase: [UInt8]?) throws(CryptoError) -> String {
        let bio = try MemoryBIO()
        try withPointer { (key) throws(CryptoError) in
            guard let passphrase else {
                guard PEM_write_bio_PKCS8PrivateKey(bio.pointer, key, nil, nil, 0, nil, nil) == 1 else {
                    throw .drainingQueue(operation: "PKCS#8 encoding")
                }
                return
            }
            try Self.writeEncrypted(key, to: bio, passphrase: passphrase)
        }
        return bio.contents()
    }

    private static func writeEncrypted(_ key: OpaquePointer, to bio: MemoryBIO, passphrase: [UInt8]) throws(CryptoError) {
        // An empty passphrase cannot be told apart from "none" when reading back.
        guard !passphrase.isEmpty, passphrase.count <= Int(Int32.max) else {
            throw .libcrypto(operation: "PKCS#8 encryption", detail: "the passphrase is empty")
        }
        guard let info = EVP_PKEY2PKCS8(key) else { throw .drainingQueue(operation: "PKCS#8 encoding") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard let algorithm = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nil, 0, nil, 1 << 14, 8, 1) else {
            throw .drainingQueue(operation: "PKCS#8 encryption")
        }
        let sealed = passphrase.withNonNullBytes { bytes, length in
            bytes.withMemoryRebound(to: CChar.self, capacity: length) {
                PKCS8_set0_pbe($0, Int32(length), info, algorithm)
            }
        }
        guard let sealed else {
            // PKCS8_set0_pbe only takes ownership of the algorithm on success.
            X509_ALGOR_free(algorithm)
            throw .drainingQueue(operation: "PKCS#8 encryption")
        }
        defer { X509_SIG_free(sealed) }
        guard PEM_write_bio_PKCS8(bio.pointer, sealed) == 1 else { throw .drainingQueue(operation: "PEM encoding") }
    }

    /// Reads PKCS#8 PEM, plain or encrypted; a passphrase given for a plain
    /// key is ignored. Never prompts on a terminal.
    convenience init(privateKeyPEM pem: String, passphrase: [UInt8]?, as algorithm: Algorithm) throws(CryptoError) {
        let source = PassphraseSource(passphrase)
        let unmanaged = Unmanaged.passRetained(source)
        defer { unmanaged.release() }
        // Always pass a callback: with none, libcrypto would prompt on the terminal.
        let callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
            buffer, size, _, context in
            guard let buffer, let context else { return -1 }
            let source = Unmanaged<PassphraseSource>.fromOpaque(context).takeUnretainedValue()
            source.wasAsked = true
            guard let passphrase = source.passphrase, !passphrase.isEmpty, passphrase.count <= Int(size) else { return -1 }
            passphrase.withNonNullBytes { bytes, length in
                UnsafeMutableRawPointer(buffer).copyMemory(from: bytes, byteCount: length)
            }
            return Int32(passphrase.count)
        }
        let parsed = MemoryBIO.reading(pem) { PEM_read_bio_PrivateKey($0, nil, callback, unmanaged.toOpaque()) }
        guard let parsed else {
            let detail = LibcryptoErrorQueue.drain()
            if source.wasAsked { throw source.passphrase == nil ? .passphraseRequired : .wrongPassphrase }
            throw .invalidKey("no PKCS#8 private key PEM found" + (detail.map { " (\($0))" } ?? ""))
        }
        try self.init(taking: parsed, as: algorithm)
    }

    /// SubjectPublicKeyInfo PEM ("PUBLIC KEY"), as `openssl pkey -pubout` writes it.
    func publicKeyPEM() throws(CryptoError) -> String {
        let bio = try MemoryBIO()
        try withPointer { (key) throws(CryptoError) in
            guard PEM_write_bio_PUBKEY(bio.pointer, key) == 1 else {
                throw .drainingQueue(operation: "\(algorithm.name) public key PEM")
            }
        }
        return bio.contents()
    }

    convenience init(publicKeyPEM pem: String, as algorithm: Algorithm) throws(CryptoError) {
        guard let parsed = MemoryBIO.reading(pem, { PEM_read_bio_PUBKEY($0, nil, nil, nil) }) else {
            let detail = LibcryptoErrorQueue.drain()
            throw .invalidKey("no SubjectPublicKeyInfo PEM found" + (detail.map { " (\($0))" } ?? ""))
        }
        try self.init(taking: parsed, as: algorithm)
    }
}

/// What the PEM password callback reads from and reports back through.
private final class PassphraseSource {
    let passphrase: [UInt8]?
    var wasAsked = false
    init(_ passphrase: [UInt8]?) { self.passphrase = passphrase }
}
