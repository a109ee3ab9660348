import COpenSSL

/// A signing or verifying context set up once for one key, so that each
/// message skips OpenSSL 3's per-call cost of `EVP_Digest{Sign,Verify}Init`
/// (fetching the algorithm, exporting the key to its provider, building a
/// signature context): `EVPDigestScratch` copies it and runs one message on
/// the copy. Read-only once made.
final class EVPDigestTemplate {
    enum Purpose { case sign, verify }

    fileprivate let context: OpaquePointer
    /// Held so that the key outlives the context that refers to it.
    private let key: EVPKey

    /// nil when libcrypto refuses any step (its error queue is then cleared);
    /// callers fall back to the one-shot calls of `EVPKey`.
    init?(key: EVPKey, purpose: Purpose) {
        guard let context = EVP_MD_CTX_new() else {
            LibcryptoErrorQueue.clear()
            return nil
        }
        // The digest must be NULL: Ed25519 hashes internally.
        let status = try? key.withPointer { (pointer) throws(CryptoError) -> Int32 in
            switch purpose {
            case .sign: EVP_DigestSignInit(context, nil, nil, nil, pointer)
            case .verify: EVP_DigestVerifyInit(context, nil, nil, nil, pointer)
            }
        }
        guard status == 1 else {
            LibcryptoErrorQueue.clear()
            EVP_MD_CTX_free(context)
            return nil
        }
        self.context = context
        self.key = key
    }

    deinit { EVP_MD_CTX_free(context) }
}

/// The context one thread copies templates into; not shared between threads.
final class EVPDigestScratch {
    private let context: OpaquePointer?

    init() { context = EVP_MD_CTX_new() }

    deinit { if let context { EVP_MD_CTX_free(context) } }

    /// The signature made on a copy of `template`, or nil (error queue
    /// cleared) when libcrypto fails, for the caller's one-shot fallback.
    func signature(with template: EVPDigestTemplate, for message: [UInt8], byteCount: Int) -> [UInt8]? {
        guard let context, EVP_MD_CTX_copy_ex(context, template.context) == 1 else {
            LibcryptoErrorQueue.clear()
            return nil
        }
        var length = byteCount
        var failed = false
        let signature = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            let status = message.withNonNullBytes { bytes, count in
                EVP_DigestSign(context, buffer.baseAddress, &length, bytes, count)
            }
            failed = status != 1 || length != byteCount
            // Zero-filled on failure so that no uninitialised byte is ever read.
            if failed { buffer.initialize(repeating: 0) }
            initialized = byteCount
        }
        guard !failed else {
            LibcryptoErrorQueue.clear()
            return nil
        }
        return signature
    }

    /// The verdict on a copy of `template`, or nil (error queue cleared) when
    /// the copy fails, for the caller's one-shot fallback.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8], with template: EVPDigestTemplate) -> Bool? {
        guard let context, EVP_MD_CTX_copy_ex(context, template.context) == 1 else {
            LibcryptoErrorQueue.clear()
            return nil
        }
        let status = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        if status != 1 { LibcryptoErrorQueue.clear() }
        return status == 1
    }
}
