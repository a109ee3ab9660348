import Testing
@testable import EHXShared

@Suite struct EncodingHexTests {
    @Test func roundTripsEveryByte() {
        let all = (0...255).map(UInt8.init)
        let text = Hex.encode(all)
        #expect(text.hasPrefix("000102") && text.hasSuffix("fdfeff"))
        #expect(Hex.decode(text) == all)
        // The canonical writers' hex (a reading's mac) spells it the same.
        var appended: [UInt8] = [0x78]
        all.withUnsafeBytes { bytes in appended.append(addingCapacity: 2 * bytes.count) { $0.appendHex(bytes) } }
        #expect(appended == [0x78] + Array(text.utf8))
    }

    /// Only lowercase digits, in pairs: a value has one spelling.
    @Test(arguments: ["0", "abc", "0A", "AB", "0g", "g0", "zz", " 0", "00 ", "0\u{0}", "é0"])
    func refusesOtherSpellings(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func emptyIsEmpty() {
        #expect(Hex.decode("") == [])
    }
}
