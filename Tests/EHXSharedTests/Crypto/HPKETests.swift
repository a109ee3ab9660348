import Testing
@testable import EHXShared

/// RFC 9180 Appendix A.1.1 (AES-128-GCM) and A.2.1 (ChaCha20-Poly1305):
/// every derived value, all 257 encryptions each way, and the exports.
@Suite struct HPKEVectorTests {
    static let file = "vectors/hpke/rfc9180_base_x25519_sha256.json"

    static func vectors() throws -> [[String: Any]] {
        let root = try #require(SharedFiles.json(file) as? [String: Any])
        return try #require(root["vectors"] as? [[String: Any]])
    }

    static func hex(_ entry: [String: Any], _ key: String) throws -> [UInt8] {
        let text = try #require(entry[key] as? String, "\(key) missing")
        return try #require(Hex.decode(text), "\(key) is not hex")
    }

    func check(aeadID: Int, aead: AEAD) throws {
        let vector = try #require(try Self.vectors().first { ($0["aead_id"] as? Int) == aeadID && ($0["mode"] as? Int) == 0 })
        #expect(vector["kem_id"] as? Int == 32 && vector["kdf_id"] as? Int == 1)
        let info = try Self.hex(vector, "info")

        let skE = try HPKE.deriveKeyPair(ikm: try Self.hex(vector, "ikmE"))
        let skR = try HPKE.deriveKeyPair(ikm: try Self.hex(vector, "ikmR"))
        #expect(try skE.rawRepresentation == Self.hex(vector, "skEm"))
        #expect(try skR.rawRepresentation == Self.hex(vector, "skRm"))
        #expect(try skE.publicKey.rawRepresentation == Self.hex(vector, "pkEm"))
        #expect(try skR.publicKey.rawRepresentation == Self.hex(vector, "pkRm"))

        let (sharedSecret, enc) = try HPKE.encapsulate(to: skR.publicKey, ephemeral: skE)
        #expect(try enc == Self.hex(vector, "enc"))
        #expect(try sharedSecret == Self.hex(vector, "shared_secret"))
        #expect(try HPKE.decapsulate(enc: enc, recipient: skR) == sharedSecret)

        var (sentEnc, sender) = try HPKE.setupBaseSender(recipient: skR.publicKey, info: info, aead: aead, ephemeral: skE)
        #expect(sentEnc == enc)
        #expect(try sender.key == Self.hex(vector, "key"))
        #expect(try sender.baseNonce == Self.hex(vector, "base_nonce"))
        #expect(try sender.exporterSecret == Self.hex(vector, "exporter_secret"))
        var receiver = try HPKE.setupBaseRecipient(enc: enc, recipient: skR, info: info, aead: aead)

        let encryptions = try #require(vector["encryptions"] as? [[String: Any]])
        #expect(encryptions.count == 257)
        for (seq, e) in encryptions.enumerated() {
            #expect(try sender.nonce() == Self.hex(e, "nonce"), "nonce \(seq)")
            let pt = try Self.hex(e, "pt"), aad = try Self.hex(e, "aad"), ct = try Self.hex(e, "ct")
            #expect(try sender.seal(pt, aad: aad) == ct, "seal \(seq)")
            #expect(try receiver.open(ct, aad: aad) == pt, "open \(seq)")
        }
        for export in try #require(vector["exports"] as? [[String: Any]]) {
            let length = try #require(export["L"] as? Int)
            #expect(try sender.export(context: Self.hex(export, "exporter_context"), length: length)
                    == Self.hex(export, "exported_value"))
            #expect(try receiver.export(context: Self.hex(export, "exporter_context"), length: length)
                    == Self.hex(export, "exported_value"))
        }
    }

    @Test(.enabled(if: SharedFiles.exists(file)))
    func chacha20Poly1305VectorA21() throws { try check(aeadID: 3, aead: .chacha20Poly1305) }

    @Test(.enabled(if: SharedFiles.exists(file)))
    func aes128GCMVectorA11() throws { try check(aeadID: 1, aead: .aes128GCM) }

    @Test func singleShotRoundTripAndTamper() throws {
        let recipient = try X25519.PrivateKey()
        let info = Array("ehx test".utf8), aad = Array("clear part".utf8), pt = Array("data key 0123456789abcdef0123456".utf8)
        let (enc, ct) = try HPKE.seal(pt, to: recipient.publicKey, info: info, aad: aad)
        #expect(try HPKE.open(ct, enc: enc, recipient: recipient, info: info, aad: aad) == pt)
        for i in 0..<(ct.count * 8) where i % 7 == 0 {
            var bad = ct
            bad[i / 8] ^= UInt8(1 << (i % 8))
            #expect(throws: CryptoError.authenticationFailed) { try HPKE.open(bad, enc: enc, recipient: recipient, info: info, aad: aad) }
        }
        var badEnc = enc
        badEnc[5] ^= 0x10
        #expect(throws: CryptoError.self) { try HPKE.open(ct, enc: badEnc, recipient: recipient, info: info, aad: aad) }
        var badAAD = aad
        badAAD[0] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try HPKE.open(ct, enc: enc, recipient: recipient, info: info, aad: badAAD) }
        #expect(throws: CryptoError.authenticationFailed) { try HPKE.open(ct, enc: enc, recipient: try X25519.PrivateKey(), info: info, aad: aad) }
    }

    @Test func hkdfRFC5869Case1() throws {
        // RFC 5869 A.1.
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let salt = try #require(Hex.decode("000102030405060708090a0b0c"))
        let info = try #require(Hex.decode("f0f1f2f3f4f5f6f7f8f9"))
        let prk = try HKDFSHA256.extract(salt: salt, ikm: ikm)
        #expect(Hex.encode(prk) == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        #expect(Hex.encode(try HKDFSHA256.expand(prk: prk, info: info, length: 42))
                == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        // A.3: empty salt and info.
        let prk3 = try HKDFSHA256.extract(salt: [], ikm: ikm)
        #expect(Hex.encode(prk3) == "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04")
        #expect(Hex.encode(try HKDFSHA256.expand(prk: prk3, info: [], length: 42))
                == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }
}

/// X25519 against RFC 7748 and Wycheproof.
@Suite struct X25519VectorTests {
    static let wycheproof = "vectors/x25519/wycheproof_x25519_test.json"
    static let rfc = "vectors/x25519/rfc7748.json"

    @Test(.enabled(if: SharedFiles.exists(wycheproof)))
    func wycheproofAgreesWithExpectedResults() throws {
        let root = try #require(SharedFiles.json(Self.wycheproof) as? [String: Any])
        var valid = 0, acceptable = 0, refused = 0
        var failures: [String] = []
        for group in try #require(root["testGroups"] as? [[String: Any]]) {
            for test in try #require(group["tests"] as? [[String: Any]]) {
                let id = test["tcId"] as? Int ?? -1
                let result = test["result"] as? String ?? "?"
                let priv = try HPKEVectorTests.hex(test, "private")
                let pub = try HPKEVectorTests.hex(test, "public")
                let shared = try HPKEVectorTests.hex(test, "shared")
                let got: [UInt8]?
                do {
                    got = try X25519.PrivateKey(rawRepresentation: priv).sharedSecret(with: X25519.PublicKey(rawRepresentation: pub))
                } catch {
                    got = nil
                }
                switch result {
                case "valid":
                    valid += 1
                    if got != shared { failures.append("tcId \(id): valid but got \(got.map(Hex.encode) ?? "an error")") }
                case "acceptable":
                    acceptable += 1
                    // Either outcome is allowed; a result, if any, must be the right one,
                    // and an all-zero secret must never come out.
                    if let got {
                        if got != shared { failures.append("tcId \(id): acceptable but wrong secret") }
                        if got.allSatisfy({ $0 == 0 }) { failures.append("tcId \(id): all-zero secret accepted") }
                    } else {
                        refused += 1
                        if !shared.allSatisfy({ $0 == 0 }) { failures.append("tcId \(id): refused a non-zero secret") }
                    }
                default:
                    failures.append("tcId \(id): unknown result \(result)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(valid == 264 && acceptable == 254)
        #expect(refused == 31, "low-order public keys refused")
    }

    @Test(.enabled(if: SharedFiles.exists(rfc)))
    func rfc7748() throws {
        let root = try #require(SharedFiles.json(Self.rfc) as? [String: Any])
        for entry in try #require(root["section_5_2_scalar_mult"] as? [[String: Any]]) {
            let key = try X25519.PrivateKey(rawRepresentation: HPKEVectorTests.hex(entry, "scalar"))
            #expect(try key.sharedSecret(with: X25519.PublicKey(rawRepresentation: HPKEVectorTests.hex(entry, "u")))
                    == HPKEVectorTests.hex(entry, "output"))
        }
        let dh = try #require(root["section_6_1_diffie_hellman"] as? [String: Any])
        let alice = try X25519.PrivateKey(rawRepresentation: HPKEVectorTests.hex(dh, "alice_private"))
        let bob = try X25519.PrivateKey(rawRepresentation: HPKEVectorTests.hex(dh, "bob_private"))
        #expect(try alice.publicKey.rawRepresentation == HPKEVectorTests.hex(dh, "alice_public"))
        #expect(try bob.publicKey.rawRepresentation == HPKEVectorTests.hex(dh, "bob_public"))
        #expect(try alice.sharedSecret(with: bob.publicKey) == HPKEVectorTests.hex(dh, "shared_secret"))
        #expect(try bob.sharedSecret(with: alice.publicKey) == HPKEVectorTests.hex(dh, "shared_secret"))
    }

    @Test func pemRoundTripPlainAndEncrypted() throws {
        let key = try X25519.PrivateKey()
        let plain = try key.pemRepresentation()
        #expect(plain.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try X25519.PrivateKey(pemRepresentation: plain).publicKey == key.publicKey)
        let pass = Array("correct horse".utf8)
        let sealed = try key.pemRepresentation(passphrase: pass)
        #expect(sealed.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try X25519.PrivateKey(pemRepresentation: sealed, passphrase: pass).publicKey == key.publicKey)
        #expect(throws: CryptoError.wrongPassphrase) { try X25519.PrivateKey(pemRepresentation: sealed, passphrase: Array("nope".utf8)) }
        let pub = try key.publicKey.pemRepresentation()
        #expect(try X25519.PublicKey(pemRepresentation: pub) == key.publicKey)
        // An Ed25519 key is not an X25519 key.
        let ed = try Ed25519.PrivateKey()
        #expect(throws: CryptoError.self) { try X25519.PrivateKey(pemRepresentation: try ed.pemRepresentation()) }
        #expect(throws: CryptoError.self) { try X25519.PublicKey(pemRepresentation: ed.publicKey.pemRepresentation) }
        #expect(!String(describing: key).contains(Hex.encode(try key.rawRepresentation)))
    }
}
