import COpenSSL

/// What can go wrong in the crypto layer. Messages never contain key material.
public enum CryptoError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidLength(what: String, expected: Int, got: Int)
    case invalidKey(String)
    case libcrypto(operation: String, detail: String)
    case wrongPassphrase
    case passphraseRequired
    /// An AEAD tag did not verify: the ciphertext, its associated data or the
    /// key is not what was sealed.
    case authenticationFailed

    public var description: String {
        switch self {
        case let .invalidLength(what, expected, got):
            return "\(what) must be \(expected) bytes, got \(got)"
        case let .invalidKey(detail):
            return "invalid key: \(detail)"
        case let .libcrypto(operation, detail):
            return "\(operation) failed: \(detail)"
        case .wrongPassphrase:
            return "wrong passphrase"
        case .passphraseRequired:
            return "the key is encrypted: give a passphrase with --passphrase-file or EHX_PASSPHRASE"
        case .authenticationFailed:
            return "authentication failed: the sealed data or its associated data was altered, or the key is wrong"
        }
    }
}

extension CryptoError {
    /// Builds a `.libcrypto` error from OpenSSL's thread-local error queue and
    /// empties it, so a stale entry cannot be blamed on a later, unrelated call.
    static func drainingQueue(operation: String) -> CryptoError {
        .libcrypto(operation: operation, detail: LibcryptoErrorQueue.drain() ?? "no detail from libcrypto")
    }
}

enum LibcryptoErrorQueue {
    /// The queued reasons, oldest first, joined; nil when the queue was empty.
    /// OpenSSL's reason strings name the failing step, never the data.
    static func drain() -> String? {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if reasons.last != text { reasons.append(text) }
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    static func clear() { ERR_clear_error() }
}

extension Array where Element == UInt8 {
    /// libcrypto rejects a NULL input pointer in some calls even with length 0,
    /// and an empty Swift array may have no storage, so give it a real address.
    func withNonNullBytes<R>(_ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { return body(base, buffer.count) }
            let zero: UInt8 = 0
            return withUnsafePointer(to: zero) { body($0, 0) }
        }
    }
}
