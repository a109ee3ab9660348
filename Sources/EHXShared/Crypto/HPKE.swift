/// RFC 9180 HPKE, base mode only, with DHKEM(X25519, HKDF-SHA256) and
/// HKDF-SHA256, over libcrypto's X25519, HKDF and AEAD (see X25519.swift,
/// HKDF.swift, AEAD.swift). ehx uses ChaCha20-Poly1305; AES-128-GCM is
/// here because the RFC's vectors for it cost nothing to pass too.
public enum HPKE {
    public static let kemID: UInt16 = 0x0020   // DHKEM(X25519, HKDF-SHA256)
    public static let kdfID: UInt16 = 0x0001   // HKDF-SHA256
    static let modeBase: UInt8 = 0x00
    static let version = Array("HPKE-v1".utf8)
    static let kemSuiteID = Array("KEM".utf8) + i2osp(kemID)

    static func i2osp(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    static func suiteID(_ aead: AEAD) -> [UInt8] {
        Array("HPKE".utf8) + i2osp(kemID) + i2osp(kdfID) + i2osp(aead.hpkeID)
    }

    static func labeledExtract(suite: [UInt8], salt: [UInt8], label: String, ikm: [UInt8]) throws(CryptoError) -> [UInt8] {
        try HKDFSHA256.extract(salt: salt, ikm: version + suite + Array(label.utf8) + ikm)
    }

    static func labeledExpand(suite: [UInt8], prk: [UInt8], label: String, info: [UInt8], length: Int) throws(CryptoError) -> [UInt8] {
        guard length <= Int(UInt16.max) else { throw .invalidLength(what: "HPKE labeled expand", expected: Int(UInt16.max), got: length) }
        return try HKDFSHA256.expand(prk: prk, info: i2osp(UInt16(length)) + version + suite + Array(label.utf8) + info, length: length)
    }

    // MARK: - DHKEM(X25519, HKDF-SHA256), RFC 9180 section 4.1

    static func extractAndExpand(dh: [UInt8], kemContext: [UInt8]) throws(CryptoError) -> [UInt8] {
        let prk = try labeledExtract(suite: kemSuiteID, salt: [], label: "eae_prk", ikm: dh)
        return try labeledExpand(suite: kemSuiteID, prk: prk, label: "shared_secret", info: kemContext, length: 32)
    }

    /// Encap: (shared_secret, enc). `ephemeral` is for the test vectors only.
    static func encapsulate(to recipient: X25519.PublicKey, ephemeral: X25519.PrivateKey? = nil) throws(CryptoError) -> (sharedSecret: [UInt8], enc: [UInt8]) {
        let skE: X25519.PrivateKey
        if let ephemeral { skE = ephemeral } else { skE = try X25519.PrivateKey() }
        let dh = try skE.sharedSecret(with: recipient)
        let enc = skE.publicKey.rawRepresentation
        return (try extractAndExpand(dh: dh, kemContext: enc + recipient.rawRepresentation), enc)
    }

    static func decapsulate(enc: [UInt8], recipient: X25519.PrivateKey) throws(CryptoError) -> [UInt8] {
        let pkE = try X25519.PublicKey(rawRepresentation: enc)
        let dh = try recipient.sharedSecret(with: pkE)
        return try extractAndExpand(dh: dh, kemContext: enc + recipient.publicKey.rawRepresentation)
    }

    // MARK: - Key schedule and context, sections 5.1 and 5.2

    /// An encryption context: the sender's and the recipient's are the same
    /// shape; each seal or open uses the next sequence number.
    public struct Context: Sendable {
        public let aead: AEAD
        let key: [UInt8]
        let baseNonce: [UInt8]
        let exporterSecret: [UInt8]
        let suite: [UInt8]
        private(set) var sequence: UInt64 = 0

        init(aead: AEAD, sharedSecret: [UInt8], info: [UInt8]) throws(CryptoError) {
            let suite = HPKE.suiteID(aead)
            let pskIDHash = try labeledExtract(suite: suite, salt: [], label: "psk_id_hash", ikm: [])
            let infoHash = try labeledExtract(suite: suite, salt: [], label: "info_hash", ikm: info)
            let context = [HPKE.modeBase] + pskIDHash + infoHash
            let secret = try labeledExtract(suite: suite, salt: sharedSecret, label: "secret", ikm: [])
            self.aead = aead
            self.suite = suite
            key = try labeledExpand(suite: suite, prk: secret, label: "key", info: context, length: aead.keyByteCount)
            baseNonce = try labeledExpand(suite: suite, prk: secret, label: "base_nonce", info: context, length: AEAD.nonceByteCount)
            exporterSecret = try labeledExpand(suite: suite, prk: secret, label: "exp", info: context, length: HKDFSHA256.hashByteCount)
        }

        /// base_nonce XOR I2OSP(seq, Nn).
        func nonce() -> [UInt8] {
            var nonce = baseNonce
            var seq = sequence
            var index = nonce.count - 1
            while seq > 0 && index >= 0 {
                nonce[index] ^= UInt8(seq & 0xff)
                seq >>= 8
                index -= 1
            }
            return nonce
        }

        private mutating func increment() throws(CryptoError) {
            // RFC 9180 caps seq at 2^96-1; a UInt64 runs out first, and long before that matters.
            guard sequence < UInt64.max else { throw .libcrypto(operation: "HPKE", detail: "message limit reached") }
            sequence += 1
        }

        public mutating func seal(_ plaintext: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
            let ct = try aead.seal(plaintext, key: key, nonce: nonce(), aad: aad)
            try increment()
            return ct
        }

        public mutating func open(_ ciphertext: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
            let pt = try aead.open(ciphertext, key: key, nonce: nonce(), aad: aad)
            try increment()
            return pt
        }

        /// Secret export (section 5.3).
        public func export(context exporterContext: [UInt8], length: Int) throws(CryptoError) -> [UInt8] {
            try labeledExpand(suite: suite, prk: exporterSecret, label: "sec", info: exporterContext, length: length)
        }
    }

    /// SetupBaseS: the encapsulated key to send and the sender's context.
    public static func setupBaseSender(recipient: X25519.PublicKey, info: [UInt8], aead: AEAD = .chacha20Poly1305,
                                       ephemeral: X25519.PrivateKey? = nil) throws(CryptoError) -> (enc: [UInt8], context: Context) {
        let (sharedSecret, enc) = try encapsulate(to: recipient, ephemeral: ephemeral)
        return (enc, try Context(aead: aead, sharedSecret: sharedSecret, info: info))
    }

    /// SetupBaseR.
    public static func setupBaseRecipient(enc: [UInt8], recipient: X25519.PrivateKey, info: [UInt8],
                                          aead: AEAD = .chacha20Poly1305) throws(CryptoError) -> Context {
        try Context(aead: aead, sharedSecret: try decapsulate(enc: enc, recipient: recipient), info: info)
    }

    /// Single-shot seal (section 6.1): (enc, ciphertext).
    public static func seal(_ plaintext: [UInt8], to recipient: X25519.PublicKey, info: [UInt8], aad: [UInt8],
                            aead: AEAD = .chacha20Poly1305) throws(CryptoError) -> (enc: [UInt8], ciphertext: [UInt8]) {
        var (enc, context) = try setupBaseSender(recipient: recipient, info: info, aead: aead)
        return (enc, try context.seal(plaintext, aad: aad))
    }

    /// Single-shot open; `.authenticationFailed` when anything was altered.
    public static func open(_ ciphertext: [UInt8], enc: [UInt8], recipient: X25519.PrivateKey, info: [UInt8], aad: [UInt8],
                            aead: AEAD = .chacha20Poly1305) throws(CryptoError) -> [UInt8] {
        var context = try setupBaseRecipient(enc: enc, recipient: recipient, info: info, aead: aead)
        return try context.open(ciphertext, aad: aad)
    }
}
