import Testing
@testable import EHXShared
extension CryptoTests {
    @Suite struct HMACSHA256Tests {
        @Test func rfc4231TestCase1() {
            let key = [UInt8](repeating: 0x0b, count: 20)
            let mac = HMACSHA256.authenticationCode(for: Array("Hi There".utf8), key: key)
            #expect(Hex.encode(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        }

        @Test func rfc4231TestCase2() {
            let mac = HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
            #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        }

        @Test func rfc4231TestCase6KeyLongerThanBlock() {
            let key = [UInt8](repeating: 0xaa, count: 131)
            let mac = HMACSHA256.authenticationCode(
                for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), key: key)
            #expect(Hex.encode(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        }

        /// The keyed context reused across messages must give the one-shot
        /// answer every time, for every split of the message in two.
        @Test func keyedContextMatchesRFC4231AndOneShot() {
            let cases: [(key: [UInt8], message: [UInt8], mac: String)] = [
                ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
                 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
                (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
                 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
                ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
                ([], [], "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
            ]
            for c in cases {
                let key = HMACSHA256Key(key: c.key)
                for _ in 0..<2 {
                    for cut in [0, c.message.count / 2, c.message.count] {
                        c.message.withUnsafeBytes { all in
                            let first = UnsafeRawBufferPointer(rebasing: all[..<cut])
                            let second = UnsafeRawBufferPointer(rebasing: all[cut...])
                            #expect(Hex.encode(key.authenticationCode(first, second)) == c.mac)
                            #expect(key.isAuthenticationCode(Hex.decode(c.mac) ?? [], for: first, second))
                            var wrong = Hex.decode(c.mac) ?? []
                            wrong[31] ^= 1
                            #expect(!key.isAuthenticationCode(wrong, for: first, second))
                            #expect(!key.isAuthenticationCode(Array(wrong.prefix(31)), for: first, second))
                        }
                    }
                }
            }
        }

        @Test func emptyKeyAndMessage() {
            // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
            #expect(Hex.encode(HMACSHA256.authenticationCode(for: [], key: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        }
    }

    @Suite struct ConstantTimeAndRandomTests {
        @Test func equality() {
            #expect(ConstantTime.equals([], []))
            #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
            #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
            #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
            #expect(!ConstantTime.equals([], [0]))
        }

        @Test func randomBytes() throws {
            #expect(try SecureRandom.bytes(count: 0).isEmpty)
            let a = try SecureRandom.bytes(count: 32)
            let b = try SecureRandom.bytes(count: 32)
            #expect(a.count == 32)
            #expect(a != b)
            #expect(throws: CryptoError.self) { try SecureRandom.bytes(count: -1) }
        }
    }
}
