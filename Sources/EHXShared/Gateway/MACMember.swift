/// A reading line's `mac` member, found where it can be found without a
/// parser, so that the line can be parsed without it.
///
/// The member is over a third of a reading's line, and jansson reads a
/// string a byte at a time, each through a callback and a buffer append:
/// handing it the line without those 73 bytes, and decoding the digits
/// here, is the largest saving on the gateway's path. Two places are
/// taken, each certainly a member of the outer object:
///
/// - after `kind`, as RFC 8785 sorts a reading's names (device, kind,
///   mac, …): the line begins `{"device":"…","kind":"…","mac":"<hex>"`,
///   two strings with no escape before it;
/// - last, as a device that MACs its canonical form and then appends the
///   member sends it: the line ends `,"mac":"<hex>"}`. When the line
///   without it parses, that brace closes the outer object.
///
/// The caller reads any other line whole, and so too every line whose
/// cut-down form gives no valid reading (a second mac, a bad value, broken
/// JSON), so refusals read as they always did.
struct MACMember {
    /// The bytes `,"mac":"…"` in the line.
    let range: Range<Int>
    let code: SIMD32<UInt8>

    private static let name: StaticString = #","mac":""#
    /// `,"mac":"` + 64 digits + `"`.
    private static let length = 73
    /// The cut-down copy is made on the stack: longer lines (EMG samples)
    /// are read whole.
    static let maxLineBytes = 4096

    init?(line: UnsafeRawBufferPointer) {
        let bytes = line.assumingMemoryBound(to: UInt8.self)
        guard let start = Self.afterKind(bytes) ?? Self.last(bytes),
              let code = Self.member(bytes, at: start) else { return nil }
        range = start..<(start + Self.length)
        self.code = code
    }

    /// Whether `text` is in `bytes` at `at`.
    private static func has(_ text: StaticString, in bytes: UnsafeBufferPointer<UInt8>, at: Int) -> Bool {
        let n = text.utf8CodeUnitCount
        guard at >= 0, bytes.count - at >= n else { return false }
        for i in 0..<n where bytes[at + i] != text.utf8Start[i] { return false }
        return true
    }

    /// Where the member starts when it follows `device` and `kind`.
    private static func afterKind(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var at = 0
        func literal(_ text: StaticString) -> Bool {
            guard has(text, in: bytes, at: at) else { return false }
            at += text.utf8CodeUnitCount
            return true
        }
        /// A string's content up to its closing quote, refusing escapes and
        /// control bytes (which only a parser may judge).
        func plainString() -> Bool {
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") { at += 1; return true }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return false }
                at += 1
            }
            return false
        }
        guard literal(#"{"device":""#), plainString(), literal(#","kind":""#), plainString(),
              bytes.count - at > length,
              bytes[at + length] == UInt8(ascii: ",") || bytes[at + length] == UInt8(ascii: "}")
        else { return nil }
        return at
    }

    /// Where the member starts when it is the last, just before the brace
    /// that ends the line.
    private static func last(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count > length + 1, bytes[bytes.count - 1] == UInt8(ascii: "}") else { return nil }
        return bytes.count - 1 - length
    }

    /// The digits of the member at `start`, when it is exactly
    /// `,"mac":"<64 lowercase hex>"`.
    private static func member(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> SIMD32<UInt8>? {
        let n = name.utf8CodeUnitCount
        guard has(name, in: bytes, at: start), bytes.count - start >= length,
              bytes[start + length - 1] == UInt8(ascii: "\"") else { return nil }
        var code = SIMD32<UInt8>()
        let digits = UnsafeBufferPointer(rebasing: bytes[(start + n)..<(start + n + 64)])
        guard withUnsafeMutableBytes(of: &code, { Hex.decode(digits, into: $0) }) else { return nil }
        return code
    }

    /// `body` given the line without the member.
    func withLineWithout<R>(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let count = line.count - range.count
        return withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { buffer in
            let head = UnsafeRawBufferPointer(rebasing: line[..<range.lowerBound])
            let tail = UnsafeRawBufferPointer(rebasing: line[range.upperBound...])
            buffer.copyMemory(from: head)
            UnsafeMutableRawBufferPointer(rebasing: buffer[head.count...]).copyMemory(from: tail)
            return body(UnsafeRawBufferPointer(buffer))
        }
    }
}
