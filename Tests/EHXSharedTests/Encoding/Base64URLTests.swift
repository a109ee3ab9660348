import Testing
@testable import EHXShared

/// The decoder reads from the text's bytes into one buffer (issue 19); it
/// stays strict, so every blob keeps a single spelling.
@Suite struct EncodingBase64URLTests {
    @Test func roundTripsEveryLength() {
        for count in 0...70 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            #expect(Base64URL.decode(text) == bytes)
            #expect(text.withUTF8Copy { Base64URL.decode($0) } == bytes)
        }
    }

    /// Padding, the other alphabet, whitespace, a lone last character and
    /// non-zero leftover bits are all refused.
    @Test(arguments: ["AA==", "A", "AAAAA", "+w", "/w", "AA A", "AB", "AAB", "_x", "Zm9v\n", "é"])
    func refusesOtherSpellings(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func emptyIsEmpty() {
        #expect(Base64URL.decode("") == [])
    }
}

private extension String {
    func withUTF8Copy<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var copy = self
        return copy.withUTF8(body)
    }
}
