/// Ed25519 signing with one key on one worker thread, without OpenSSL 3's
/// per-call cost of `EVP_DigestSignInit` (fetching the algorithm, exporting
/// the key to its provider, building a signature context): the context is
/// initialised once and copied into the worker's scratch context, which
/// signs message after message (`EVPDigestScratch`), as `Ed25519Verifier`
/// does for verification. Ed25519 is deterministic, so
/// the bytes are those of `PrivateKey.signature(for:)`, which is also the
/// fallback if OpenSSL refuses any step. Not shared between threads (the
/// scratch context is reused): one per worker (`PerWorker`).
public final class Ed25519Signer {
    public let key: Ed25519.PrivateKey
    /// Signed once and for all: `Transaction.signWithLeaf` writes it into
    /// every transaction.
    public let publicKeyText: String
    private let template: EVPDigestTemplate?
    private let scratch = EVPDigestScratch()

    public init(key: Ed25519.PrivateKey) {
        self.key = key
        publicKeyText = Base64URL.encode(key.publicKey.rawRepresentation)
        template = EVPDigestTemplate(key: key.evpKey, purpose: .sign)
    }

    public var publicKey: Ed25519.PublicKey { key.publicKey }

    /// The 64-byte signature over `message`, equal to `key.signature(for:)`.
    public func signature(for message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let template,
              let signature = scratch.signature(with: template, for: message, byteCount: Ed25519.signatureByteCount) else {
            return try key.signature(for: message)
        }
        return signature
    }

    /// The signature over `message` written into `out` (64 bytes), with no
    /// array made for it when the scratch context signs (`ReadingSigner`
    /// signs line after line this way).
    public func sign(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        precondition(out.count == Ed25519.signatureByteCount, "an Ed25519 signature is 64 bytes")
        if let template, scratch.sign(with: template, message: message, into: out) { return }
        let signature = try key.signature(for: Array(message))
        out.copyBytes(from: signature)
    }
}
