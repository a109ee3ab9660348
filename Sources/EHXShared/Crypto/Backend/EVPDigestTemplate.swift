import COpenSSL

/// A signing or verifying context set up once for one key, so that each
/// message skips OpenSSL 3's per-call cost of `EVP_Digest{Sign,Verify}Init`
/// (fetching the algorithm, exporting the key to its provider, building a
/// signature context): `EVPDigestScratch` copies it and runs messages on
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
///
/// A copy is made when the template changes, not for every message:
/// OpenSSL 3.0 runs a one-shot Ed25519 call again on the same context (its
/// `openssl speed` does, and it is the rate ehx is measured against), and a
/// copy per message cost an allocation, a free and two atomic reference
/// counts on the key (issue 19). A libcrypto that refuses a second call on a
/// context (a newer one may mark it finished) is met by a fresh copy: the
/// call is made again on it, and from then on every message gets its own.
final class EVPDigestScratch {
    private let context: OpaquePointer?
    /// The template whose copy `context` holds; held, so that a template
    /// made later at the same address is never taken for it.
    private var loaded: EVPDigestTemplate?
    /// Cleared at the first call this libcrypto refuses on a used context.
    private var reusable = true

    init() { context = EVP_MD_CTX_new() }

    deinit { if let context { EVP_MD_CTX_free(context) } }

    /// `context` holding a copy of `template`, made now unless it already
    /// holds one that may be used again; nil (error queue cleared) when the
    /// copy fails.
    private func load(_ template: EVPDigestTemplate, fresh: Bool) -> OpaquePointer? {
        guard let context else { return nil }
        if !fresh, reusable, loaded === template { return context }
        loaded = nil
        guard EVP_MD_CTX_copy_ex(context, template.context) == 1 else {
            LibcryptoErrorQueue.clear()
            return nil
        }
        loaded = template
        return context
    }

    /// Runs `call` on the loaded context; when it fails on a context used
    /// before, once more on a fresh copy, and if that succeeds this
    /// libcrypto does not reuse contexts. Nil when no copy can be made.
    private func run(_ template: EVPDigestTemplate, _ call: (OpaquePointer) -> Bool) -> Bool? {
        let used = reusable && loaded === template
        guard let context = load(template, fresh: false) else { return nil }
        if call(context) { return true }
        LibcryptoErrorQueue.clear()
        guard used, let fresh = load(template, fresh: true) else { return false }
        if call(fresh) {
            reusable = false
            return true
        }
        LibcryptoErrorQueue.clear()
        return false
    }

    /// The signature made with `template`'s key, or nil (error queue
    /// cleared) when libcrypto fails, for the caller's one-shot fallback.
    func signature(with template: EVPDigestTemplate, for message: [UInt8], byteCount: Int) -> [UInt8]? {
        var signature = [UInt8](repeating: 0, count: byteCount)
        let made = signature.withUnsafeMutableBytes { out in
            message.withUnsafeBytes { sign(with: template, message: $0, into: out) }
        }
        return made ? signature : nil
    }

    /// The signature made with `template`'s key, written into `out` (exactly
    /// its size), so that a signer of many lines needs no array for each;
    /// false (error queue cleared) when libcrypto fails.
    func sign(with template: EVPDigestTemplate, message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard let signature = out.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let zero: UInt8 = 0
        return withUnsafePointer(to: zero) { empty in
            // libcrypto takes no null message pointer, even for no bytes.
            let bytes = message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty
            return run(template) { context in
                var length = out.count
                return EVP_DigestSign(context, signature, &length, bytes, message.count) == 1 && length == out.count
            } == true
        }
    }

    /// The verdict with `template`'s key, or nil (error queue cleared) when
    /// no context can be made, for the caller's one-shot fallback. An
    /// invalid signature is checked twice (the second time on a fresh copy),
    /// so a forged chain costs at most two checks per signature.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8], with template: EVPDigestTemplate) -> Bool? {
        run(template) { context in
            let status = signature.withUnsafeBufferPointer { sig in
                message.withUnsafeBufferPointer { msg in
                    EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
                }
            }
            return status == 1
        }
    }
}
