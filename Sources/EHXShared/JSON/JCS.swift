/// RFC 8785 primitives that do not depend on a whole JSON value.
public enum JCS {
    /// ECMAScript Number.prototype.toString (RFC 8785 §3.2.2.3), as
    /// `OutputSpan.appendNumber` writes it.
    public static func serialize(number: Double) -> String {
        var out: [UInt8] = []
        appendNumber(number, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        out.append(addingCapacity: OutputSpan<UInt8>.numberBound) { $0.appendNumber(value) }
    }

    /// RFC 8785 §3.2.3 orders member names by UTF-16 code units. UTF-8 bytes
    /// order by code point, which agrees except that U+E000...U+FFFF sort
    /// after the astral planes in UTF-16 (surrogates are 0xD800...0xDFFF);
    /// comparing UTF-8 and fixing up that one case avoids transcoding.
    static func keyPrecedes(_ lhs: String, _ rhs: String) -> Bool {
        var lhs = lhs, rhs = rhs
        return lhs.withUTF8 { a in rhs.withUTF8 { b in utf16Precedes(a, b) } }
    }

    static func utf16Precedes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(a.count, b.count)
        var i = 0
        while i < common && a[i] == b[i] { i += 1 }
        if i == common { return a.count < b.count }
        // Both strings share bytes before i, so the scalars that differ start
        // at the same offset.
        var start = i
        while start > 0 && a[start] & 0xC0 == 0x80 { start -= 1 }
        return utf16Rank(scalar(a, at: start)) < utf16Rank(scalar(b, at: start))
    }

    private static func utf16Rank(_ scalar: UInt32) -> UInt32 {
        (0xE000...0xFFFF).contains(scalar) ? scalar + 0x11_0000 : scalar
    }

    private static func scalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        let lead = UInt32(bytes[index])
        func continuation(_ offset: Int) -> UInt32 {
            index + offset < bytes.count ? UInt32(bytes[index + offset] & 0x3F) : 0
        }
        switch lead {
        case 0..<0x80: return lead
        case 0xC0..<0xE0: return (lead & 0x1F) << 6 | continuation(1)
        case 0xE0..<0xF0: return (lead & 0x0F) << 12 | continuation(1) << 6 | continuation(2)
        default: return (lead & 0x07) << 18 | continuation(1) << 12 | continuation(2) << 6 | continuation(3)
        }
    }
}
