import COpenSSL

/// A key made ready for HMAC-SHA256 once, for the many MACs a gateway
/// checks under each device's key: the one-shot `HMACSHA256` sets the key
/// up (and looks the algorithm up) every time, which costs as much as the
/// MAC of a reading itself.
///
/// Not thread-safe (the context is reused); keep one per thread, as
/// `DeviceMACCheckers` does.
public final class HMACSHA256Key {
    private let context: OpaquePointer?
    /// Kept only when libcrypto gave no context (an empty key, no memory),
    /// so the one-shot path can answer as it always has.
    private let fallbackKey: [UInt8]

    public init(key: [UInt8]) {
        context = key.withUnsafeBufferPointer { ehx_hmac_sha256_new($0.baseAddress, $0.count) }
        fallbackKey = context == nil ? key : []
    }

    deinit {
        if let context { EVP_MAC_CTX_free(context) }
    }

    /// HMAC-SHA256 of `first` followed by `second`.
    public func authenticationCode(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> [UInt8] {
        guard let context else {
            return HMACSHA256.authenticationCode(for: Array(first) + Array(second), key: fallbackKey)
        }
        var out = [UInt8](repeating: 0, count: HMACSHA256.byteCount)
        let produced = out.withUnsafeMutableBufferPointer { o in
            ehx_hmac_sha256_two(context, first.baseAddress, first.count, second.baseAddress, second.count, o.baseAddress)
        }
        // As in HMACSHA256: libcrypto fails here only without memory.
        precondition(produced == 1, "libcrypto HMAC-SHA256 failed (out of memory)")
        return out
    }

    /// Whether `code` is the HMAC-SHA256 of `first` followed by `second`,
    /// compared in constant time.
    public func isAuthenticationCode(_ code: [UInt8], for first: UnsafeRawBufferPointer,
                                     _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Bool {
        code.withUnsafeBytes { isAuthenticationCode($0, for: first, second) }
    }

    public func isAuthenticationCode(_ code: UnsafeRawBufferPointer, for first: UnsafeRawBufferPointer,
                                     _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Bool {
        guard let context, code.count == HMACSHA256.byteCount, let expected = code.baseAddress else {
            return ConstantTime.equals(authenticationCode(first, second), Array(code))
        }
        return ehx_hmac_sha256_two_matches(context, first.baseAddress, first.count, second.baseAddress, second.count,
                                           expected.assumingMemoryBound(to: UInt8.self)) == 1
    }
}
