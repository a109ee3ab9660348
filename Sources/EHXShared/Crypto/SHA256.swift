#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenSSL

/// SHA-256 from libcrypto's EVP digest interface.
public enum SHA256 {
    /// Fetched from the provider once. `EVP_sha256()` is fetched again by
    /// every EVP_Digest call (a lookup under the method store's lock, which
    /// the verifier's threads would take several times per transaction);
    /// an explicitly fetched EVP_MD is used as it is. Never freed: it lives
    /// as long as the process, as libcrypto's own default methods do.
    nonisolated(unsafe) private static let method: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// One digest context per thread, made on the thread's first hash and
    /// freed when it ends. A verifier hashes several times per transaction
    /// (txid, Merkle leaf, reading keys); the one-shot EVP_Digest allocates
    /// and frees a context and its provider state each time, where
    /// re-initialising a kept context for the same digest reuses both.
    private static let contextKey: pthread_key_t? = {
        var key = pthread_key_t()
        let made = pthread_key_create(&key) { context in
            if let context { EVP_MD_CTX_free(OpaquePointer(context)) }
        }
        return made == 0 ? key : nil
    }()

    /// This thread's context, initialised for SHA-256; nil when libcrypto
    /// or the thread-key table refuses (the caller then takes EVP_Digest).
    private static func threadContext() -> OpaquePointer? {
        guard let key = contextKey, let method else { return nil }
        var context = pthread_getspecific(key).map(OpaquePointer.init)
        if context == nil {
            guard let made = EVP_MD_CTX_new() else { return nil }
            guard pthread_setspecific(key, UnsafeRawPointer(made)) == 0 else {
                EVP_MD_CTX_free(made)
                return nil
            }
            context = made
        }
        guard let context, EVP_DigestInit_ex2(context, method, nil) == 1 else {
            LibcryptoErrorQueue.clear()
            return nil
        }
        return context
    }

    public static func hash<Bytes: ContiguousBytes>(_ data: Bytes) -> SHA256Digest {
        data.withUnsafeBytes { input in hash(prefix: nil, input) }
    }

    /// SHA-256 of one byte and then `data` (an RFC 6962 leaf or node),
    /// without copying them together.
    static func hash(prefix: UInt8?, _ data: UnsafeRawBufferPointer) -> SHA256Digest {
        if let context = threadContext() {
            let digest = SHA256Digest.written { out in
                var ok = true
                if var prefix { ok = EVP_DigestUpdate(context, &prefix, 1) == 1 }
                if ok, data.count > 0 { ok = EVP_DigestUpdate(context, data.baseAddress, data.count) == 1 }
                return ok && EVP_DigestFinal_ex(context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), nil) == 1
            }
            if let digest { return digest }
            LibcryptoErrorQueue.clear()
        }
        var joined: [UInt8] = prefix.map { [$0] } ?? []
        joined.append(contentsOf: data)
        // EVP_Digest with SHA-256 cannot fail on valid pointers; the only
        // failure mode is allocation, which libcrypto reports by returning 0.
        let digest = SHA256Digest.written { out in
            EVP_Digest(joined, joined.count, out.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, method ?? EVP_sha256(), nil) == 1
        }
        guard let digest else { preconditionFailure("libcrypto SHA-256 failed (out of memory)") }
        return digest
    }

    /// SHA-256 of the concatenation of several parts, without copying them together.
    public static func hash(parts: [[UInt8]]) -> SHA256Digest {
        var joined: [UInt8] = []
        joined.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { joined.append(contentsOf: part) }
        return hash(joined)
    }

    /// Bitcoin's double SHA-256.
    public static func doubleHash<Bytes: ContiguousBytes>(_ data: Bytes) -> SHA256Digest {
        hash(hash(data))
    }
}

/// Anything whose bytes can be borrowed contiguously ([UInt8], ArraySlice, raw buffers).
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension ContiguousArray: ContiguousBytes where Element == UInt8 {}
extension UnsafeRawBufferPointer: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(self) }
}
