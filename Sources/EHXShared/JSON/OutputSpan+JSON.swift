/// RFC 8785 text written into an `OutputSpan` the caller has sized: the
/// one implementation of string escapes, numbers and hex that every
/// canonical form uses. Appending to an array piece by piece costs a
/// uniqueness and capacity check per piece; a span checks one bound per
/// write, and a write past its capacity traps instead of corrupting memory.
extension OutputSpan where Element == UInt8 {
    /// What `appendJSONString` may write for `utf8Count` bytes of text:
    /// the quotes, and every byte as a six-byte `\u00XX` at worst.
    static func jsonStringBound(_ utf8Count: Int) -> Int { 2 + 6 * utf8Count }
    /// What `appendNumber` may write: "-1.2345678901234567e-308" is 24.
    static var numberBound: Int { 32 }

    // Inlined so that a literal's length is a constant and the copy a few moves.
    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count <= freeCapacity, "OutputSpan overflow")
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        withUnsafeMutableBufferPointer { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            (base + initialized).initialize(from: source, count: bytes.count)
            initialized += bytes.count
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(bytes.assumingMemoryBound(to: UInt8.self))
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `utf8` as a JSON string: quoted, with RFC 8785's escapes (the short
    /// forms where JSON has them, `\u00XX` for other controls), and runs
    /// that need none copied whole, which is usually the whole string.
    mutating func appendJSONString(_ utf8: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        var runStart = 0
        // Eight bytes at a time while none needs an escape (the usual case:
        // keys, ids, base64url, times), then byte by byte from the first
        // word that may hold one.
        let clean = Self.cleanPrefix(utf8)
        for index in clean..<utf8.count {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index { append(UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
            runStart = index + 1
            append(UInt8(ascii: "\\"))
            switch byte {
            case 0x08: append(UInt8(ascii: "b"))
            case 0x09: append(UInt8(ascii: "t"))
            case 0x0A: append(UInt8(ascii: "n"))
            case 0x0C: append(UInt8(ascii: "f"))
            case 0x0D: append(UInt8(ascii: "r"))
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(byte)
            default:
                append("u00")
                withUnsafeBytes(of: byte) { appendHex($0) }
            }
        }
        if runStart < utf8.count { append(UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
        append(UInt8(ascii: "\""))
    }

    /// How many leading bytes, a multiple of eight, certainly need no
    /// escape: no control character, quote or backslash. A word is tested
    /// whole with the classic bit tricks (a byte below 0x20, or equal to
    /// 0x22 or 0x5C, sets that byte's top bit in `hit`; bytes after a true
    /// hit may be flagged falsely, which only ends the prefix there).
    static func cleanPrefix(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = utf8.baseAddress else { return 0 }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= utf8.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let hit = ((word &- ones &* 0x20) | (quote &- ones) | (backslash &- ones)) & ~word & highs
            // `~word` keeps bytes >= 0x80 (UTF-8 beyond ASCII) out: none
            // of the three kinds is one. A borrow reaches a byte only from
            // a hit below it.
            if hit != 0 { break }
            index += 8
        }
        return index
    }

    mutating func appendJSONString(_ text: String) {
        var text = text
        text.withUTF8 { appendJSONString($0) }
    }

    /// ECMAScript Number.prototype.toString (RFC 8785 §3.2.2.3). Total over
    /// all doubles so it can never trap: non-finite values give ECMAScript's
    /// "NaN", "Infinity" and "-Infinity", which are not JSON, so a value that
    /// somehow holds one cannot pass for a valid canonical text.
    mutating func appendNumber(_ value: Double) {
        guard value.isFinite else {
            append(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity")
            return
        }
        if value == 0 {
            append(UInt8(ascii: "0"))  // also -0, as ECMAScript prints it
            return
        }
        // Readings, seqs and times are small integers; below 2^53 the exact
        // integer is also the shortest round-trip form, so skip the dtoa.
        if value.magnitude < 9_007_199_254_740_992, value.rounded(.towardZero) == value {
            appendInteger(Int64(value))
            return
        }
        if value < 0 { append(UInt8(ascii: "-")) }
        appendShortest(value.magnitude)
    }

    /// An integer in decimal (the same text `appendNumber` gives its double
    /// below 2^53).
    mutating func appendInteger(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // Digits come out last first: into a stack buffer, then one copy.
        var digits = SIMD32<UInt8>()
        var index = 32
        repeat {
            index -= 1
            digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        withUnsafeBytes(of: digits) { append(UnsafeRawBufferPointer(rebasing: $0[index...])) }
    }

    /// Swift's description already yields the shortest round-trip digits
    /// (closest on ties, as ECMAScript requires); only the layout differs,
    /// so take digits and exponent from it and lay them out the ES6 way.
    private mutating func appendShortest(_ positive: Double) {
        var digits = SIMD32<UInt8>()
        var k = 0  // digits held
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
                    // Leading zeros ("0.001") carry no digit information;
                    // a double has at most 17 significant ones.
                    if !(k == 0 && byte == UInt8(ascii: "0")), k < 32 { digits[k] = byte; k += 1 }
                    if state == 1 { fractionDigits += 1 }
                }
            case UInt8(ascii: "."): state = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): state = 2
            case UInt8(ascii: "-"): exponentNegative = true
            default: break  // "+" of the exponent
            }
        }
        var scale = (exponentNegative ? -exponent : exponent) - fractionDigits
        while k > 1, digits[k - 1] == UInt8(ascii: "0") {
            k -= 1
            scale += 1
        }
        // value = digits × 10^scale; ECMAScript's n is the position of the
        // decimal point relative to the first digit.
        let n = k + scale
        withUnsafeBytes(of: digits) { raw in
            let d = raw.assumingMemoryBound(to: UInt8.self)
            func digits(_ range: Range<Int>) { append(UnsafeBufferPointer(rebasing: d[range])) }
            if k <= n && n <= 21 {
                digits(0..<k)
                append(repeating: UInt8(ascii: "0"), count: n - k)
            } else if 0 < n && n <= 21 {
                digits(0..<n)
                append(UInt8(ascii: "."))
                digits(n..<k)
            } else if -6 < n && n <= 0 {
                append("0.")
                append(repeating: UInt8(ascii: "0"), count: -n)
                digits(0..<k)
            } else {
                digits(0..<1)
                if k > 1 {
                    append(UInt8(ascii: "."))
                    digits(1..<k)
                }
                append(n - 1 < 0 ? "e-" : "e+")
                appendInteger(Int64((n - 1).magnitude))
            }
        }
    }

    /// Lowercase hex (DESIGN: "Hex is lowercase"), two digits a byte.
    mutating func appendHex(_ bytes: UnsafeRawBufferPointer) {
        precondition(2 * bytes.count <= freeCapacity, "OutputSpan overflow")
        // A table in read-only data: no lazy global to check on each use.
        let digits: StaticString = "0123456789abcdef"
        let table = digits.utf8Start
        withUnsafeMutableBufferPointer { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var out = base + initialized
            for byte in bytes {
                out[0] = table[Int(byte >> 4)]
                out[1] = table[Int(byte & 0x0F)]
                out += 2
            }
            initialized += 2 * bytes.count
        }
    }
}

extension Array where Element == UInt8 {
    /// An array of at most `capacity` bytes written by `body`, as
    /// `[UInt8](capacity:initializingWith:)` makes one but through the
    /// specialized allocation: that initializer allocates through generic
    /// code that looks its metadata up at run time, which cost more than
    /// writing a transaction's envelope (issue 19).
    static func written(capacity: Int, _ body: (inout OutputSpan<UInt8>) -> Void) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        out.append(addingCapacity: capacity, initializingWith: body)
        return out
    }
}
