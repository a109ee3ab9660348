import Testing
@testable import EHXShared

/// The weak-key rule (man ehx.7): every encoding of a small-order Ed25519
/// point and of a low-order X25519 u is refused wherever a key enters.
@Suite struct WeakKeyTests {
    /// The eight Ed25519 points of small order, canonically encoded.
    static let canonicalSmallOrder = [
        "0100000000000000000000000000000000000000000000000000000000000000", // identity (order 1)
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // (0, -1), order 2
        "0000000000000000000000000000000000000000000000000000000000000000", // order 4
        "0000000000000000000000000000000000000000000000000000000000000080", // order 4, x negative
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ]

    /// The same points spelled otherwise: x = 0 with the sign bit set, and
    /// y + p for y = 0 and y = 1 (the only y where y + p fits in 255 bits).
    static let nonCanonicalSmallOrder = [
        "0100000000000000000000000000000000000000000000000000000000000080", // identity, sign set
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // order 2, sign set
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p (0)
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1 (1): identity
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ]

    /// Every X25519 u of low order (0, 1, p - 1 and the two of order 8),
    /// also as u + p where that fits, each with and without bit 255 (which
    /// X25519 ignores): the list Wycheproof's low-order tests are drawn from.
    static let lowOrderX25519 = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0100000000000000000000000000000000000000000000000000000000000080",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ]

    static func ed25519(_ hex: String) throws -> Ed25519.PublicKey {
        try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(hex)))
    }

    @Test(arguments: canonicalSmallOrder + nonCanonicalSmallOrder)
    func smallOrderEd25519KeysAreWeak(hex: String) throws {
        let key = try Self.ed25519(hex)
        #expect(key.hasSmallOrder)
        #expect(WeakKey.problem(with: key) != nil)
    }

    @Test func ordinaryEd25519KeysAreNot() throws {
        for _ in 0..<64 { #expect(!(try Ed25519.PrivateKey()).publicKey.hasSmallOrder) }
        // RFC 8032 test 1's key, and near misses of the identity and of an order-8 point.
        #expect(!(try Self.ed25519("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")).hasSmallOrder)
        #expect(!(try Self.ed25519("0200000000000000000000000000000000000000000000000000000000000000")).hasSmallOrder)
        #expect(!(try Self.ed25519("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc06")).hasSmallOrder)
        #expect(!(try Self.ed25519("efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")).hasSmallOrder)
    }

    /// Why the rule exists: with the identity as the key, R = identity and
    /// S = 0 is a valid signature on every message.
    @Test func theIdentityKeySignsEverything() throws {
        let identity = try Self.ed25519(Self.canonicalSmallOrder[0])
        let forged = try #require(Hex.decode(Self.canonicalSmallOrder[0])) + [UInt8](repeating: 0, count: 32)
        #expect(identity.isValidSignature(forged, for: Array("any message".utf8)))
        #expect(identity.isValidSignature(forged, for: Array("another one".utf8)))
    }

    @Test(arguments: lowOrderX25519)
    func lowOrderX25519KeysAreWeak(hex: String) throws {
        let key = try X25519.PublicKey(rawRepresentation: try #require(Hex.decode(hex)))
        #expect(key.hasLowOrder)
        #expect(WeakKey.problem(with: key) != nil)
        #expect(throws: CryptoError.self) { try X25519.PrivateKey().sharedSecret(with: key) }
    }

    @Test func ordinaryX25519KeysAreNot() throws {
        for _ in 0..<16 { #expect(!(try X25519.PrivateKey()).publicKey.hasLowOrder) }
        // RFC 7748 section 6.1: Alice's public key.
        let alice = try X25519.PublicKey(rawRepresentation: try #require(Hex.decode("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")))
        #expect(!alice.hasLowOrder)
    }

    /// Wycheproof's verdicts: a public key whose shared secret is all zeros
    /// is low order, and no other is.
    @Test(.enabled(if: SharedFiles.exists(X25519VectorTests.wycheproof)))
    func wycheproofLowOrderKeys() throws {
        let root = try #require(SharedFiles.json(X25519VectorTests.wycheproof) as? [String: Any])
        var lowOrder = 0
        for group in try #require(root["testGroups"] as? [[String: Any]]) {
            for test in try #require(group["tests"] as? [[String: Any]]) {
                let key = try X25519.PublicKey(rawRepresentation: try HPKEVectorTests.hex(test, "public"))
                let zero = try HPKEVectorTests.hex(test, "shared").allSatisfy { $0 == 0 }
                if zero { lowOrder += 1 }
                #expect(key.hasLowOrder == zero, "tcId \(test["tcId"] ?? "?")")
            }
        }
        #expect(lowOrder > 0)
    }

    @Test func keyFilesRefuseWeakKeys() throws {
        let dir = try TemporaryDirectory()
        let identity = try Self.ed25519(Self.canonicalSmallOrder[0])
        let path = dir.path("identity.pub")
        try KeyFile.writePublicKey(identity, path: path)
        #expect(throws: KeyFileError.malformed(path: path, detail: "weak-key: " + (WeakKey.problem(with: identity) ?? ""))) {
            try KeyFile.readPublicKey(path: path)
        }
        let low = try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        let encPath = dir.path("low.enc.pub")
        try KeyFile.writeEncryptionPublicKey(low, path: encPath)
        #expect(throws: KeyFileError.self) { try KeyFile.readEncryptionPublicKey(path: encPath) }
    }
}
