import Testing
@testable import EHXShared
extension CryptoTests {
    @Suite struct SHA256Tests {
        @Test func emptyStringMatchesFIPS180() {
            #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        }

        @Test func abcMatchesFIPS180() {
            #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        }
    }
}
