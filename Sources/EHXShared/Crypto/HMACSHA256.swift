import COpenSSL

/// HMAC-SHA256 through libcrypto's one-shot HMAC().
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var outLength: UInt32 = 0
        // HMAC() takes an int key length; RFC 2104 replaces keys longer than the
        // 64-byte block with their hash anyway, so doing it here is equivalent
        // and keeps any key length representable.
        let effectiveKey = key.count > 64 ? SHA256.hash(key).bytes : key
        let produced = effectiveKey.withNonNullBytes { keyPointer, keyLength in
            message.withNonNullBytes { messagePointer, messageLength in
                HMAC(EVP_sha256(), keyPointer, Int32(keyLength), messagePointer, messageLength, &out, &outLength) != nil
            }
        }
        // As with SHA256.hash, HMAC over SHA-256 only fails when libcrypto cannot
        // allocate its context; there is no input that makes it fail.
        precondition(produced && outLength == UInt32(byteCount), "libcrypto HMAC-SHA256 failed (out of memory)")
        return out
    }
}
