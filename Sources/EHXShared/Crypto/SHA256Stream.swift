import COpenSSL

/// SHA-256 over bytes that arrive in parts (a chain-state snapshot written
/// or read a buffer at a time), with libcrypto's streaming digest.
final class SHA256Stream {
    private let ctx: OpaquePointer

    init() {
        // Allocation is libcrypto's only failure mode here, as in `SHA256.hash`.
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            preconditionFailure("libcrypto SHA-256 init failed (out of memory)")
        }
        self.ctx = ctx
    }

    deinit { EVP_MD_CTX_free(ctx) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count) == 1, "libcrypto SHA-256 update failed")
    }

    func finish() -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        precondition(EVP_DigestFinal_ex(ctx, &out, nil) == 1, "libcrypto SHA-256 final failed")
        return SHA256Digest(unchecked: out)
    }
}
