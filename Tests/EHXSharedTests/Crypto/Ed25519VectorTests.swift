import Testing
@testable import EHXShared
extension CryptoTests {
    @Suite struct Ed25519VectorTests {
        static let rfcFile = "vectors/ed25519/rfc8032_7_1.json"
        static let wycheproofFile = "vectors/ed25519/wycheproof_ed25519_test.json"

        @Test(.enabled(if: SharedFiles.exists(rfcFile)))
        func rfc8032Section71() throws {
            let cases = try #require(SharedFiles.json(Self.rfcFile) as? [[String: Any]])
            #expect(cases.count >= 4)
            for entry in cases {
                let name = entry["name"] as? String ?? "?"
                let seed = try #require(Hex.decode(entry["secret_key"] as? String ?? "x"))
                let publicKey = try #require(Hex.decode(entry["public_key"] as? String ?? "x"))
                let message = try #require(Hex.decode(entry["message"] as? String ?? "x"))
                let signature = try #require(Hex.decode(entry["signature"] as? String ?? "x"))

                let key = try Ed25519.PrivateKey(seed: seed)
                #expect(key.publicKey.rawRepresentation == publicKey, "\(name): public key")
                #expect(try key.signature(for: message) == signature, "\(name): signature")
                #expect(key.publicKey.isValidSignature(signature, for: message), "\(name): verify")

                var tampered = message
                if tampered.isEmpty { tampered = [0] } else { tampered[0] ^= 1 }
                #expect(!key.publicKey.isValidSignature(signature, for: tampered), "\(name): tampered message")
                var badSignature = signature
                badSignature[63] ^= 0x40
                #expect(!key.publicKey.isValidSignature(badSignature, for: message), "\(name): tampered signature")
            }
        }

        @Test(.enabled(if: SharedFiles.exists(wycheproofFile)))
        func wycheproofVerificationAgreesWithExpectedResult() throws {
            let root = try #require(SharedFiles.json(Self.wycheproofFile) as? [String: Any])
            let groups = try #require(root["testGroups"] as? [[String: Any]])
            var checked = 0
            var disagreements: [String] = []
            for group in groups {
                let pk = try #require((group["publicKey"] as? [String: Any])?["pk"] as? String)
                let key = try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(pk)))
                for test in try #require(group["tests"] as? [[String: Any]]) {
                    let id = test["tcId"] as? Int ?? -1
                    let message = try #require(Hex.decode(test["msg"] as? String ?? "x"))
                    let signature = try #require(Hex.decode(test["sig"] as? String ?? "x"))
                    let result = test["result"] as? String
                    #expect(result == "valid" || result == "invalid", "tcId \(id): unexpected result \(String(describing: result))")
                    if key.isValidSignature(signature, for: message) != (result == "valid") {
                        disagreements.append("tcId \(id) (\(test["comment"] as? String ?? ""))")
                    }
                    checked += 1
                }
            }
            #expect(checked == (root["numberOfTests"] as? Int ?? -1))
            #expect(disagreements.isEmpty, "disagree with Wycheproof: \(disagreements)")
        }

        @Test func freshKeysDifferAndSignVerify() throws {
            let a = try Ed25519.PrivateKey()
            let b = try Ed25519.PrivateKey()
            #expect(a.publicKey != b.publicKey)
            let message = Array("reading 72 bpm".utf8)
            let signature = try a.signature(for: message)
            #expect(signature.count == 64)
            #expect(a.publicKey.isValidSignature(signature, for: message))
            #expect(!b.publicKey.isValidSignature(signature, for: message))
            #expect(!a.publicKey.isValidSignature(Array(signature.prefix(63)), for: message))
            #expect(!a.publicKey.isValidSignature(signature + [0], for: message))
        }

        @Test func keyIdIsSHA256OfRawKey() throws {
            let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: 32)).publicKey
            #expect(key.id == SHA256.hash(key.rawRepresentation))
        }

        @Test func rejectsWrongLengths() {
            #expect(throws: CryptoError.invalidLength(what: "Ed25519 seed", expected: 32, got: 31)) {
                try Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 31))
            }
            #expect(throws: CryptoError.invalidLength(what: "Ed25519 public key", expected: 32, got: 33)) {
                try Ed25519.PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 33))
            }
        }

        @Test func pemRoundTrips() throws {
            let key = try Ed25519.PrivateKey()
            let plain = try key.pemRepresentation()
            #expect(plain.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
            #expect(try Ed25519.PrivateKey(pemRepresentation: plain).publicKey == key.publicKey)

            let passphrase = Array("correct horse".utf8)
            let encrypted = try key.pemRepresentation(passphrase: passphrase)
            #expect(encrypted.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"))
            #expect(try Ed25519.PrivateKey(pemRepresentation: encrypted, passphrase: passphrase).publicKey == key.publicKey)
            #expect(throws: CryptoError.wrongPassphrase) {
                try Ed25519.PrivateKey(pemRepresentation: encrypted, passphrase: Array("wrong horse".utf8))
            }
            #expect(throws: CryptoError.passphraseRequired) {
                try Ed25519.PrivateKey(pemRepresentation: encrypted)
            }
            #expect(throws: CryptoError.self) { try key.pemRepresentation(passphrase: []) }

            let publicPEM = key.publicKey.pemRepresentation
            #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
            #expect(try Ed25519.PublicKey(pemRepresentation: publicPEM) == key.publicKey)
            // The allocation-failure fallback must produce what libcrypto produces.
            #expect(Ed25519.PublicKey.fixedPrefixPEM(key.publicKey.rawRepresentation) == publicPEM)
        }

        @Test func pemRejectsGarbageAndWrongKeyKinds() throws {
            #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: "hello") }
            #expect(throws: CryptoError.self) { try Ed25519.PublicKey(pemRepresentation: "") }
            let key = try Ed25519.PrivateKey()
            // A private key PEM is not a public key PEM and vice versa.
            #expect(throws: CryptoError.self) { try Ed25519.PublicKey(pemRepresentation: try key.pemRepresentation()) }
            #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: key.publicKey.pemRepresentation) }
        }

        @Test func errorsDoNotLeakPassphrase() throws {
            let key = try Ed25519.PrivateKey()
            let encrypted = try key.pemRepresentation(passphrase: Array("s3cret-pass".utf8))
            do {
                _ = try Ed25519.PrivateKey(pemRepresentation: encrypted, passphrase: Array("guess-pass".utf8))
                Issue.record("wrong passphrase accepted")
            } catch {
                #expect(!"\(error)".contains("guess-pass"))
                #expect(!"\(error)".contains("s3cret"))
            }
        }
    }
}

extension CryptoTests.Ed25519VectorTests {
    @Test func privateKeyDescriptionShowsOnlyPublicId() throws {
        let seed = [UInt8](repeating: 0x5a, count: 32)
        let key = try Ed25519.PrivateKey(seed: seed)
        for text in ["\(key)", String(reflecting: key)] {
            #expect(text.contains(String(key.publicKey.id.hex.prefix(16))))
            #expect(!text.contains(Hex.encode(seed)))
            #expect(!text.contains("90, 90, 90"))
        }
    }
}
