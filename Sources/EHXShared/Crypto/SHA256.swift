import COpenSSL

/// SHA-256 from libcrypto's one-shot EVP_Digest.
public enum SHA256 {
    /// Fetched from the provider once. `EVP_sha256()` is fetched again by
    /// every EVP_Digest call (a lookup under the method store's lock, which
    /// the verifier's threads would take several times per transaction);
    /// an explicitly fetched EVP_MD is used as it is. Never freed: it lives
    /// as long as the process, as libcrypto's own default methods do.
    nonisolated(unsafe) private static let method: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    public static func hash<Bytes: ContiguousBytes>(_ data: Bytes) -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        data.withUnsafeBytes { input in
            // EVP_Digest with SHA-256 cannot fail on valid pointers; the only
            // failure mode is allocation, which libcrypto reports by returning 0.
            let ok = EVP_Digest(input.baseAddress, input.count, &out, nil, method ?? EVP_sha256(), nil)
            precondition(ok == 1, "libcrypto SHA-256 failed (out of memory)")
        }
        return SHA256Digest(unchecked: out)
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
        hash(hash(data).bytes)
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
