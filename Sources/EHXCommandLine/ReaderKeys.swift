import EHXShared

/// A reader's keys for opening sealed bodies: the Ed25519 key (whose id
/// names its recipient entries) and the X25519 key (which unwraps them),
/// by default NAME.enc.key beside NAME.key.
public struct ReaderKeys {
    public let signing: Ed25519.PrivateKey
    public let enc: X25519.PrivateKey?
    public let passphrase: [UInt8]?

    public static let missingEncKey = "no X25519 key to open sealed data with; give --enc-key (ehx-keygen key --enc makes NAME.enc.key)"

    public init(key: String, encKey: String?, passphraseFile: String?) throws {
        passphrase = try Passphrase.load(file: passphraseFile)
        signing = try KeyFile.readPrivateKey(path: key, passphrase: passphrase)
        var encPath = encKey
        if encPath == nil, key.hasSuffix(".key") {
            let derived = String(key.dropLast(4)) + ".enc.key"
            if fileExists(derived) { encPath = derived }
        }
        let passphrase = self.passphrase
        enc = try encPath.map { (path: String) throws(KeyFileError) in try KeyFile.readEncryptionKey(path: path, passphrase: passphrase) }
    }
}
