import COpenSSL

/// The AEADs of RFC 9180 that ehx uses, through libcrypto's EVP_CIPHER:
/// ChaCha20-Poly1305 (RFC 8439) for everything ehx seals, AES-128-GCM for
/// the HPKE test vectors. Ciphertexts carry the 16-byte tag at the end.
public enum AEAD: Sendable {
    case chacha20Poly1305
    case aes128GCM

    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    public var keyByteCount: Int {
        switch self {
        case .chacha20Poly1305: return 32
        case .aes128GCM: return 16
        }
    }

    /// RFC 9180 aead_id.
    public var hpkeID: UInt16 {
        switch self {
        case .aes128GCM: return 0x0001
        case .chacha20Poly1305: return 0x0003
        }
    }

    private var cipher: OpaquePointer? {
        switch self {
        case .chacha20Poly1305: return EVP_chacha20_poly1305()
        case .aes128GCM: return EVP_aes_128_gcm()
        }
    }

    public func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkSizes(key: key, nonce: nonce, lengths: [plaintext.count, aad.count])
        guard let context = EVP_CIPHER_CTX_new() else { throw .drainingQueue(operation: "AEAD context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: plaintext.count + Self.tagByteCount)
        var produced: Int32 = 0
        var finalLength: Int32 = 0
        let ok = key.withNonNullBytes { keyPointer, _ in
            nonce.withNonNullBytes { noncePointer, _ in
                aad.withNonNullBytes { aadPointer, aadLength in
                    plaintext.withNonNullBytes { ptPointer, ptLength in
                        out.withUnsafeMutableBufferPointer { buffer -> Bool in
                            guard let base = buffer.baseAddress,
                                  EVP_EncryptInit_ex(context, cipher, nil, nil, nil) == 1,
                                  EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, Int32(Self.nonceByteCount), nil) == 1,
                                  EVP_EncryptInit_ex(context, nil, nil, keyPointer, noncePointer) == 1 else { return false }
                            var ignored: Int32 = 0
                            if aadLength > 0, EVP_EncryptUpdate(context, nil, &ignored, aadPointer, Int32(aadLength)) != 1 { return false }
                            if ptLength > 0, EVP_EncryptUpdate(context, base, &produced, ptPointer, Int32(ptLength)) != 1 { return false }
                            guard EVP_EncryptFinal_ex(context, base + Int(produced), &finalLength) == 1 else { return false }
                            return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(Self.tagByteCount),
                                                       base + plaintext.count) == 1
                        }
                    }
                }
            }
        }
        guard ok, Int(produced + finalLength) == plaintext.count else { throw .drainingQueue(operation: "AEAD seal") }
        return out
    }

    /// The plaintext, or `.authenticationFailed` when the ciphertext, tag,
    /// nonce, key or associated data differ from what was sealed.
    public func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkSizes(key: key, nonce: nonce, lengths: [ciphertext.count, aad.count])
        guard ciphertext.count >= Self.tagByteCount else { throw .authenticationFailed }
        let body = Array(ciphertext.dropLast(Self.tagByteCount))
        var tag = Array(ciphertext.suffix(Self.tagByteCount))
        guard let context = EVP_CIPHER_CTX_new() else { throw .drainingQueue(operation: "AEAD context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: body.count + Self.tagByteCount)
        var produced: Int32 = 0
        var finalLength: Int32 = 0
        var setupFailed = false
        let ok = key.withNonNullBytes { keyPointer, _ in
            nonce.withNonNullBytes { noncePointer, _ in
                aad.withNonNullBytes { aadPointer, aadLength in
                    body.withNonNullBytes { ctPointer, ctLength in
                        out.withUnsafeMutableBufferPointer { buffer -> Bool in
                            guard let base = buffer.baseAddress,
                                  EVP_DecryptInit_ex(context, cipher, nil, nil, nil) == 1,
                                  EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, Int32(Self.nonceByteCount), nil) == 1,
                                  EVP_DecryptInit_ex(context, nil, nil, keyPointer, noncePointer) == 1,
                                  EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(Self.tagByteCount), &tag) == 1 else {
                                setupFailed = true
                                return false
                            }
                            var ignored: Int32 = 0
                            if aadLength > 0, EVP_DecryptUpdate(context, nil, &ignored, aadPointer, Int32(aadLength)) != 1 { return false }
                            if ctLength > 0, EVP_DecryptUpdate(context, base, &produced, ctPointer, Int32(ctLength)) != 1 { return false }
                            return EVP_DecryptFinal_ex(context, base + Int(produced), &finalLength) == 1
                        }
                    }
                }
            }
        }
        guard ok, Int(produced + finalLength) == body.count else {
            if setupFailed { throw .drainingQueue(operation: "AEAD open") }
            LibcryptoErrorQueue.clear()
            // Nothing decrypted is returned: unauthenticated plaintext never leaves here.
            for i in out.indices { out[i] = 0 }
            throw .authenticationFailed
        }
        return Array(out.prefix(body.count))
    }

    private func checkSizes(key: [UInt8], nonce: [UInt8], lengths: [Int]) throws(CryptoError) {
        guard key.count == keyByteCount else {
            throw .invalidLength(what: "AEAD key", expected: keyByteCount, got: key.count)
        }
        guard nonce.count == Self.nonceByteCount else {
            throw .invalidLength(what: "AEAD nonce", expected: Self.nonceByteCount, got: nonce.count)
        }
        for length in lengths where length > Int(Int32.max) - Self.tagByteCount {
            throw .invalidLength(what: "AEAD input", expected: Int(Int32.max) - Self.tagByteCount, got: length)
        }
    }
}
