/// Ed25519 verification for one worker thread, without OpenSSL 3's per-call
/// cost of importing the raw key and fetching the algorithm: each signer's
/// key is imported once and a verify context initialised once; signatures
/// are then checked on the worker's copy of it, made again only when the
/// signer changes (`EVPDigestScratch`). Falls back to
/// `PublicKey.isValidSignature` if OpenSSL refuses any step. Not shared
/// between threads.
final class Ed25519Verifier {
    private var templates: [Ed25519.PublicKey: EVPDigestTemplate] = [:]
    private let scratch = EVPDigestScratch()
    /// Keys kept at most; a chain with more signers re-imports some.
    static let capacity = 4096

    private func template(for signer: Ed25519.PublicKey) -> EVPDigestTemplate? {
        if let known = templates[signer] { return known }
        if templates.count >= Self.capacity { templates.removeAll() }
        guard let key = try? EVPKey(rawPublicKey: signer.rawRepresentation, as: .ed25519) else {
            LibcryptoErrorQueue.clear()
            return nil
        }
        guard let template = EVPDigestTemplate(key: key, purpose: .verify) else { return nil }
        templates[signer] = template
        return template
    }

    func isValidSignature(_ signature: [UInt8], for message: [UInt8], signer: Ed25519.PublicKey) -> Bool {
        guard signature.count == Ed25519.signatureByteCount, let template = template(for: signer),
              let valid = scratch.isValidSignature(signature, for: message, with: template) else {
            LibcryptoErrorQueue.clear()
            return signer.isValidSignature(signature, for: message)
        }
        return valid
    }
}
