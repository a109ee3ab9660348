/// X25519 reader keys and pseudonym keys in files, with the same rules as
/// signing keys: private files created 0600 and refused when group or others
/// have any access.
extension KeyFile {
    public static func readEncryptionKey(path: String, passphrase: [UInt8]?) throws(KeyFileError) -> X25519.PrivateKey {
        let pem = String(decoding: try readFile(path: path, requirePrivate: true), as: UTF8.self)
        do {
            return try X25519.PrivateKey(pemRepresentation: pem, passphrase: passphrase)
        } catch .wrongPassphrase {
            throw .wrongPassphrase(path: path)
        } catch .passphraseRequired {
            throw .passphraseRequired(path: path)
        } catch {
            throw .malformed(path: path, detail: "not an X25519 PKCS#8 private key: \(error)")
        }
    }

    public static func readEncryptionPublicKey(path: String) throws(KeyFileError) -> X25519.PublicKey {
        let pem = String(decoding: try readFile(path: path, requirePrivate: false), as: UTF8.self)
        let key: X25519.PublicKey
        do {
            key = try X25519.PublicKey(pemRepresentation: pem)
        } catch {
            throw .malformed(path: path, detail: "not an X25519 public key PEM: \(error)")
        }
        if let weak = WeakKey.problem(with: key) { throw .malformed(path: path, detail: "\(WeakKey.rule): \(weak)") }
        return key
    }

    public static func writeEncryptionKey(_ key: X25519.PrivateKey, path: String, passphrase: [UInt8]?) throws(KeyFileError) {
        let pem: String
        do { pem = try key.pemRepresentation(passphrase: passphrase) } catch { throw .cannotCreate(path: path, reason: "\(error)") }
        try createExclusively(path: path, mode: 0o600, contents: Array(pem.utf8))
    }

    public static func writeEncryptionPublicKey(_ key: X25519.PublicKey, path: String) throws(KeyFileError) {
        let pem: String
        do { pem = try key.pemRepresentation() } catch { throw .cannotCreate(path: path, reason: "\(error)") }
        try createExclusively(path: path, mode: 0o644, contents: Array(pem.utf8))
    }

    /// The pseudonym key: the file's bytes without a final line end (at least 32).
    public static func readPseudonymKey(path: String) throws(KeyFileError) -> PseudonymKey {
        var bytes = try readSecretFile(path: path)
        while bytes.last == 0x0a || bytes.last == 0x0d { bytes.removeLast() }
        do { return try PseudonymKey(bytes: bytes) } catch {
            throw .malformed(path: path, detail: "a pseudonym key needs at least \(PseudonymKey.minimumByteCount) bytes (make one with ehx-keygen pseudonym)")
        }
    }

    /// A new pseudonym key file: 32 random bytes as one base64url line, 0600.
    public static func createPseudonymKey(path: String) throws(KeyFileError) {
        let bytes: [UInt8]
        do { bytes = try SecureRandom.bytes(count: 32) } catch { throw .cannotCreate(path: path, reason: "\(error)") }
        try createExclusively(path: path, mode: 0o600, contents: Array((Base64URL.encode(bytes) + "\n").utf8))
    }
}
