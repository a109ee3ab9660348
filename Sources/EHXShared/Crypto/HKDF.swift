import COpenSSL

/// HKDF-SHA256 (RFC 5869) through libcrypto's EVP_PKEY HKDF, with extract
/// and expand as separate steps, as HPKE's labeled functions need them.
public enum HKDFSHA256 {
    public static let hashByteCount = 32

    /// HKDF-Extract(salt, ikm). An empty salt means HashLen zero bytes, which
    /// HMAC treats the same as no key at all.
    public static func extract(salt: [UInt8], ikm: [UInt8]) throws(CryptoError) -> [UInt8] {
        try derive(mode: EVP_PKEY_HKDEF_MODE_EXTRACT_ONLY, length: hashByteCount) { context in
            var ok = true
            if !salt.isEmpty {
                ok = salt.withNonNullBytes { EVP_PKEY_CTX_set1_hkdf_salt(context, $0, Int32($1)) } == 1
            }
            // An empty ikm is legal in RFC 5869; libcrypto wants a key, so give it one zero-length key.
            return ok && ikm.withNonNullBytes { EVP_PKEY_CTX_set1_hkdf_key(context, $0, Int32($1)) } == 1
        }
    }

    /// HKDF-Expand(prk, info, length), length at most 255 * 32.
    public static func expand(prk: [UInt8], info: [UInt8], length: Int) throws(CryptoError) -> [UInt8] {
        guard length > 0, length <= 255 * hashByteCount else {
            throw .invalidLength(what: "HKDF-SHA256 output", expected: 255 * hashByteCount, got: length)
        }
        return try derive(mode: EVP_PKEY_HKDEF_MODE_EXPAND_ONLY, length: length) { context in
            prk.withNonNullBytes { EVP_PKEY_CTX_set1_hkdf_key(context, $0, Int32($1)) } == 1
                && (info.isEmpty || info.withNonNullBytes { EVP_PKEY_CTX_add1_hkdf_info(context, $0, Int32($1)) } == 1)
        }
    }

    private static func derive(mode: Int32, length: Int, _ configure: (OpaquePointer) -> Bool) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nil) else {
            throw .drainingQueue(operation: "HKDF context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_derive_init(context) == 1,
              EVP_PKEY_CTX_set_hkdf_mode(context, mode) == 1,
              EVP_PKEY_CTX_set_hkdf_md(context, EVP_sha256()) == 1,
              configure(context) else {
            throw .drainingQueue(operation: "HKDF setup")
        }
        var out = [UInt8](repeating: 0, count: length)
        var outLength = length
        guard EVP_PKEY_derive(context, &out, &outLength) == 1, outLength == length else {
            throw .drainingQueue(operation: "HKDF derive")
        }
        return out
    }
}
