import Testing
@testable import EHXShared

/// Strings are scanned eight bytes at a time for what needs an escape
/// (issue 19); every byte that does, wherever it falls in or across a
/// word, must still be escaped exactly as RFC 8785 says.
@Suite struct JSONStringEscapeTests {
    /// RFC 8785 §3.2.2.2 byte by byte: the reference the fast scan is held to.
    static func reference(_ utf8: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for byte in utf8 {
            switch byte {
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x22: out += Array(#"\""#.utf8)
            case 0x5C: out += Array(#"\\"#.utf8)
            case 0..<0x20: out += Array(#"\u00"#.utf8) + Array(Hex.encode([byte]).utf8)
            default: out.append(byte)
            }
        }
        out.append(0x22)
        return out
    }

    static func written(_ utf8: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        utf8.withUnsafeBufferPointer { text in
            out.append(addingCapacity: OutputSpan<UInt8>.jsonStringBound(text.count)) { $0.appendJSONString(text) }
        }
        return out
    }

    @Test func everyEscapeAtEveryPlace() {
        let specials: [[UInt8]] = (0..<0x20).map { [UInt8($0)] } + [[0x22], [0x5C], [0x7F], [0x21], [0x23], [0x5B], [0x5D],
                                                                     Array("é".utf8), Array("\u{e000}".utf8), Array("\u{10000}".utf8)]
        for length in 0...24 {
            for at in 0...length {
                for special in specials {
                    var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    text.insert(contentsOf: special, at: at)
                    #expect(Self.written(text) == Self.reference(text), "\(text)")
                }
            }
        }
    }

    /// Two specials in one word, and words of bytes at the edges of each class.
    @Test func mixedWords() {
        let samples: [[UInt8]] = [
            Array(#"ab"c\de\fgh"#.utf8), [0x1F, 0x20, 0x21, 0x22, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3, 0xA9],
            Array(repeating: 0x5C, count: 17), Array(repeating: 0x20, count: 16) + [0x00],
            Array("signer-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_-".utf8),
        ]
        for text in samples { #expect(Self.written(text) == Self.reference(text), "\(text)") }
    }
}
