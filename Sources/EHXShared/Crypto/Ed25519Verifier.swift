import COpenSSL

/// Ed25519 verification for one worker thread, without OpenSSL 3's per-call
/// cost of importing the raw key and fetching the algorithm: each signer's
/// key is imported once and a verify context initialised once; every
/// signature is then checked on a copy of that context. Falls back to
/// `PublicKey.isValidSignature` if OpenSSL refuses any step. Not shared
/// between threads.
final class Ed25519Verifier {
    private struct Entry {
        let key: OpaquePointer
        let template: OpaquePointer
    }

    private var entries: [Ed25519.PublicKey: Entry] = [:]
    private let scratch: OpaquePointer?
    /// Keys kept at most; a chain with more signers re-imports some.
    static let capacity = 4096

    init() {
        scratch = EVP_MD_CTX_new()
    }

    deinit {
        clear()
        if let scratch { EVP_MD_CTX_free(scratch) }
    }

    private func clear() {
        for entry in entries.values {
            EVP_MD_CTX_free(entry.template)
            EVP_PKEY_free(entry.key)
        }
        entries.removeAll()
    }

    private func entry(for signer: Ed25519.PublicKey) -> Entry? {
        if let known = entries[signer] { return known }
        if entries.count >= Self.capacity { clear() }
        let raw = signer.rawRepresentation
        guard let key = raw.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }) else {
            ERR_clear_error()
            return nil
        }
        guard let template = EVP_MD_CTX_new() else {
            EVP_PKEY_free(key)
            return nil
        }
        guard EVP_DigestVerifyInit(template, nil, nil, nil, key) == 1 else {
            ERR_clear_error()
            EVP_MD_CTX_free(template)
            EVP_PKEY_free(key)
            return nil
        }
        let entry = Entry(key: key, template: template)
        entries[signer] = entry
        return entry
    }

    func isValidSignature(_ signature: [UInt8], for message: [UInt8], signer: Ed25519.PublicKey) -> Bool {
        guard signature.count == Ed25519.signatureByteCount, let scratch, let entry = entry(for: signer),
              EVP_MD_CTX_copy_ex(scratch, entry.template) == 1 else {
            ERR_clear_error()
            return signer.isValidSignature(signature, for: message)
        }
        let status = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(scratch, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        if status != 1 { ERR_clear_error() }
        return status == 1
    }
}
