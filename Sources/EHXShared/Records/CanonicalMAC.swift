/// Where the `mac` member lies in a reading sent in canonical form.
///
/// RFC 8785 sorts a reading's names as device, kind, mac, …, so a canonical
/// line begins `{"device":"…","kind":"…","mac":"<64 hex digits>"`. That
/// member is over a third of the line, and jansson reads a string a byte at
/// a time, each through a callback and a buffer append: handing it the line
/// without those 73 bytes, and decoding the digits here, is the largest
/// saving left on the gateway's path. Only that exact prefix is taken (two
/// strings with no escape, so the cut is certainly a member of the outer
/// object); anything else is parsed whole, as is every line whose cut-down
/// form does not give a valid reading, so refusals read as they always did.
struct CanonicalMAC {
    /// The bytes `,"mac":"…"` in the line.
    let member: Range<Int>
    let code: SIMD32<UInt8>

    private static let macPrefix: StaticString = #","mac":""#
    /// The cut-down copy is made on the stack: longer lines (EMG samples)
    /// are read whole.
    static let maxLineBytes = 4096

    init?(line: UnsafeRawBufferPointer) {
        let bytes = line.assumingMemoryBound(to: UInt8.self)
        var at = 0
        func literal(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard bytes.count - at >= n else { return false }
            for i in 0..<n where bytes[at + i] != text.utf8Start[i] { return false }
            at += n
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
        guard literal(#"{"device":""#), plainString(), literal(#","kind":""#), plainString() else { return nil }
        let start = at
        guard literal(Self.macPrefix), bytes.count - at >= 65 else { return nil }
        var code = SIMD32<UInt8>()
        let digits = UnsafeBufferPointer(rebasing: bytes[at..<(at + 64)])
        guard withUnsafeMutableBytes(of: &code, { Hex.decode(digits, into: $0) }) else { return nil }
        at += 64
        guard bytes[at] == UInt8(ascii: "\"") else { return nil }
        at += 1
        guard at < bytes.count, bytes[at] == UInt8(ascii: ",") || bytes[at] == UInt8(ascii: "}") else { return nil }
        member = start..<at
        self.code = code
    }

    /// `body` given the line without the member.
    func withLineWithout<R>(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let count = line.count - member.count
        return withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { buffer in
            let head = UnsafeRawBufferPointer(rebasing: line[..<member.lowerBound])
            let tail = UnsafeRawBufferPointer(rebasing: line[member.upperBound...])
            buffer.copyMemory(from: head)
            UnsafeMutableRawBufferPointer(rebasing: buffer[head.count...]).copyMemory(from: tail)
            return body(UnsafeRawBufferPointer(buffer))
        }
    }
}
