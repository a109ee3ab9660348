/// RFC 8785 primitives that do not depend on a whole JSON value.
public enum JCS {
    /// ECMAScript Number.prototype.toString (RFC 8785 §3.2.2.3). Total over
    /// all doubles so it can never trap: non-finite values give ECMAScript's
    /// "NaN", "Infinity" and "-Infinity", which are not JSON, so a value that
    /// somehow holds one cannot pass for a valid canonical text.
    public static func serialize(number: Double) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        appendNumber(number, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: value.isNaN ? Array("NaN".utf8) : value < 0 ? Array("-Infinity".utf8) : Array("Infinity".utf8))
            return
        }
        if value == 0 {
            out.append(UInt8(ascii: "0"))  // also -0, as ECMAScript prints it
            return
        }
        // Readings, seqs and times are small integers; below 2^53 the exact
        // integer is also the shortest round-trip form, so skip the dtoa.
        if value.magnitude < 9_007_199_254_740_992, value.rounded(.towardZero) == value {
            appendInteger(Int64(value), to: &out)
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendShortest(value.magnitude, to: &out)
    }

    private static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var index = 20
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<20]))
        }
    }

    /// Swift's description already yields the shortest round-trip digits
    /// (closest on ties, as ECMAScript requires); only the layout differs,
    /// so take digits and exponent from it and lay them out the ES6 way.
    private static func appendShortest(_ positive: Double, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var fractionDigits = 0
        var exponent = 0
        var exponentNegative = false
        var state = 0  // 0 integer part, 1 fraction, 2 exponent
        for byte in positive.description.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if state == 2 {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                } else {
                    // Leading zeros ("0.001") carry no digit information.
                    if !(digits.isEmpty && byte == UInt8(ascii: "0")) { digits.append(byte) }
                    if state == 1 { fractionDigits += 1 }
                }
            case UInt8(ascii: "."): state = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): state = 2
            case UInt8(ascii: "-"): exponentNegative = true
            default: break  // "+" of the exponent
            }
        }
        var scale = (exponentNegative ? -exponent : exponent) - fractionDigits
        while digits.count > 1, digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            scale += 1
        }
        // value = digits × 10^scale; ECMAScript's n is the position of the
        // decimal point relative to the first digit.
        let k = digits.count
        let n = k + scale
        if k <= n && n <= 21 {
            out.append(contentsOf: digits)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
        } else if 0 < n && n <= 21 {
            out.append(contentsOf: digits[0..<n])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
            out.append(contentsOf: digits)
        } else {
            out.append(digits[0])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            out.append(UInt8(ascii: "e"))
            out.append(n - 1 < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            appendInteger(Int64((n - 1).magnitude), to: &out)
        }
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
