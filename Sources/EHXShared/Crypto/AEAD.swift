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

    /// The ciphertext of `plaintext` with the 16-byte tag appended.
    public func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkSizes(key: key, nonce: nonce, lengths: [plaintext.count, aad.count])
        guard let context = EVP_CIPHER_CTX_new() else { throw .drainingQueue(operation: "AEAD context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: plaintext.count + Self.tagByteCount)
        var tag = [UInt8](repeating: 0, count: Self.tagByteCount)
        guard pass(context, encrypt: true, key: key, nonce: nonce, aad: aad, input: plaintext, tag: &tag, output: &out) == .done else {
            throw .drainingQueue(operation: "AEAD seal")
        }
        out.replaceSubrange(plaintext.count..., with: tag)
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
        switch pass(context, encrypt: false, key: key, nonce: nonce, aad: aad, input: body, tag: &tag, output: &out) {
        case .done:
            return Array(out.prefix(body.count))
        case .setupFailed:
            throw .drainingQueue(operation: "AEAD open")
        case .failed:
            LibcryptoErrorQueue.clear()
            // Nothing decrypted is returned: unauthenticated plaintext never leaves here.
            for i in out.indices { out[i] = 0 }
            throw .authenticationFailed
        }
    }

    private enum Pass { case done, setupFailed, failed }

    /// One pass of the cipher over `input` into `output` (room for at least
    /// input.count bytes): sealing writes the tag into `tag`, opening checks
    /// `tag` at the final step. Says whether setting up failed (libcrypto's
    /// error) or a later step did (for opening: not authentic).
    private func pass(_ context: OpaquePointer, encrypt: Bool, key: [UInt8], nonce: [UInt8], aad: [UInt8],
                      input: [UInt8], tag: inout [UInt8], output: inout [UInt8]) -> Pass {
        let mode: Int32 = encrypt ? 1 : 0
        let tagLength = Int32(Self.tagByteCount)
        return key.withNonNullBytes { keyPointer, _ in
            nonce.withNonNullBytes { noncePointer, _ in
                aad.withNonNullBytes { aadPointer, aadLength in
                    input.withNonNullBytes { inputPointer, inputLength in
                        tag.withUnsafeMutableBytes { tagBuffer in
                            output.withUnsafeMutableBufferPointer { buffer -> Pass in
                                guard let base = buffer.baseAddress, let tagBase = tagBuffer.baseAddress,
                                      EVP_CipherInit_ex(context, cipher, nil, nil, nil, mode) == 1,
                                      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, Int32(Self.nonceByteCount), nil) == 1,
                                      EVP_CipherInit_ex(context, nil, nil, keyPointer, noncePointer, mode) == 1,
                                      encrypt || EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, tagLength, tagBase) == 1 else {
                                    return .setupFailed
                                }
                                var ignored: Int32 = 0
                                var produced: Int32 = 0
                                var finalLength: Int32 = 0
                                if aadLength > 0, EVP_CipherUpdate(context, nil, &ignored, aadPointer, Int32(aadLength)) != 1 { return .failed }
                                if inputLength > 0, EVP_CipherUpdate(context, base, &produced, inputPointer, Int32(inputLength)) != 1 { return .failed }
                                guard EVP_CipherFinal_ex(context, base + Int(produced), &finalLength) == 1,
                                      Int(produced + finalLength) == inputLength else { return .failed }
                                if encrypt, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, tagLength, tagBase) != 1 { return .failed }
                                return .done
                            }
                        }
                    }
                }
            }
        }
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
