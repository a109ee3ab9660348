/// Lowercase hexadecimal, the only hex form ehx writes (DESIGN: "Hex is lowercase").
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Accepts lowercase only, so a value has exactly one spelling and two
    /// records can be compared as text.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode($0) }
    }

    /// `decode` on the text's UTF-8 bytes.
    public static func decode(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard utf8.count % 2 == 0 else { return nil }
        var valid = false
        let bytes = [UInt8](unsafeUninitializedCapacity: utf8.count / 2) { out, initialized in
            valid = decode(utf8, into: UnsafeMutableRawBufferPointer(out))
            initialized = out.count
        }
        return valid ? bytes : nil
    }

    /// `decode` into exactly `out.count` bytes; false (and `out` undefined)
    /// unless `utf8` is that many lowercase digit pairs.
    public static func decode(_ utf8: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard utf8.count == 2 * out.count else { return false }
        // Nibbles or'ed together: any 0xff (not a lowercase digit) sets the
        // high bit, so validity is one test after the loop, not one per byte.
        var invalid: UInt8 = 0
        nibbles.withUnsafeBufferPointer { table in
            for i in 0..<out.count {
                let high = table[Int(utf8[2 * i])], low = table[Int(utf8[2 * i + 1])]
                invalid |= high | low
                out[i] = high << 4 | (low & 0x0f)
            }
        }
        return invalid & 0x80 == 0
    }

    /// Each byte's value as a lowercase hex digit, 0xff when it is none.
    private static let nibbles: [UInt8] = (0...255).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte) - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt8(byte) - UInt8(ascii: "a") + 10
        default: 0xff
        }
    }
}
