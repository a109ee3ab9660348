/// What `ehx-keygen id` prints for a key file: which kind of key it holds
/// and its id (hex SHA-256 of the raw public key, as the chain and
/// ehx-verify name keys). Any of the four PEM files keygen writes is read:
/// an Ed25519 or X25519 key, public (SPKI) or private (PKCS#8, perhaps
/// encrypted); only the public half is kept.
public struct KeyIdentity: Sendable, Equatable {
    public enum Algorithm: String, Sendable { case ed25519, x25519 }

    public let algorithm: Algorithm
    public let isPrivate: Bool
    public let publicKey: [UInt8]

    public var id: SHA256Digest { SHA256.hash(publicKey) }

    /// The PEM label picks public or private; for each, Ed25519 is tried
    /// first, then X25519, and a file that is neither is refused with both
    /// reasons' gist.
    public static func read(path: String, passphrase: [UInt8]?) throws(KeyFileError) -> KeyIdentity {
        let bytes = try KeyFile.readFile(path: path, requirePrivate: false)
        let isPrivate = bytes.containsSubsequence(Array("PRIVATE KEY-----".utf8))
        if isPrivate {
            do {
                let key = try KeyFile.readPrivateKey(path: path, passphrase: passphrase)
                return KeyIdentity(algorithm: .ed25519, isPrivate: true, publicKey: key.publicKey.rawRepresentation)
            } catch let error where !Self.isWrongType(error) {
                throw error
            } catch {}
            do {
                let key = try KeyFile.readEncryptionKey(path: path, passphrase: passphrase)
                return KeyIdentity(algorithm: .x25519, isPrivate: true, publicKey: key.publicKey.rawRepresentation)
            } catch let error where !Self.isWrongType(error) {
                throw error
            } catch {}
        } else {
            if let key = try? KeyFile.readPublicKey(path: path) {
                return KeyIdentity(algorithm: .ed25519, isPrivate: false, publicKey: key.rawRepresentation)
            }
            if let key = try? KeyFile.readEncryptionPublicKey(path: path) {
                return KeyIdentity(algorithm: .x25519, isPrivate: false, publicKey: key.rawRepresentation)
            }
        }
        throw .malformed(path: path, detail: "not an Ed25519 or X25519 key (PEM public or PKCS#8 private key)")
    }

    /// Only a key of another type is worth a second try; permissions, a
    /// passphrase and I/O failures are the answer.
    private static func isWrongType(_ error: KeyFileError) -> Bool {
        if case .malformed = error { return true }
        return false
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
