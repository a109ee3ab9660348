/// RFC 4648 §5 base64url without padding: the form of every binary blob in
/// ehx JSON. Decoding is strict (no padding, no whitespace, canonical final
/// bits) so that each blob has a single spelling and a re-encoded record is
/// byte-identical.
public enum Base64URL {
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in UnsafeBufferPointer(start: letters.utf8Start, count: letters.utf8CodeUnitCount).enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    /// Characters `encode` writes for `byteCount` bytes.
    static func encodedCount(_ byteCount: Int) -> Int { (byteCount * 4 + 2) / 3 }

    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        // Written straight into the string's storage (a signer writes one per transaction).
        String(unsafeUninitializedCapacity: encodedCount(bytes.count)) { out in
            guard let base = out.baseAddress else { return 0 }
            return encode(bytes, to: base)
        }
    }

    /// `encode` appended to a span with room for it (a signer's line).
    static func encode<Bytes: Collection>(_ bytes: Bytes, into span: inout OutputSpan<UInt8>) where Bytes.Element == UInt8 {
        let count = encodedCount(bytes.count)
        precondition(count <= span.freeCapacity, "OutputSpan overflow")
        span.withUnsafeMutableBufferPointer { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            initialized += encode(bytes, to: base + initialized)
        }
    }

    /// The alphabet as a static string: read through its address, with no
    /// lazily made global (and its once-check and retain) per character.
    private static let letters: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    /// Writes `encodedCount(bytes.count)` characters at `out`; returns that count.
    private static func encode<Bytes: Collection>(_ bytes: Bytes, to out: UnsafeMutablePointer<UInt8>) -> Int where Bytes.Element == UInt8 {
        let table = letters.utf8Start
        var n = 0
        var group: UInt32 = 0
        var held = 0
        for byte in bytes {
            group = group << 8 | UInt32(byte)
            held += 1
            if held == 3 {
                out[n] = table[Int(group >> 18 & 63)]
                out[n + 1] = table[Int(group >> 12 & 63)]
                out[n + 2] = table[Int(group >> 6 & 63)]
                out[n + 3] = table[Int(group & 63)]
                n += 4
                group = 0
                held = 0
            }
        }
        switch held {
        case 1:
            out[n] = table[Int(group >> 2 & 63)]
            out[n + 1] = table[Int(group << 4 & 63)]
            n += 2
        case 2:
            out[n] = table[Int(group >> 10 & 63)]
            out[n + 1] = table[Int(group >> 4 & 63)]
            out[n + 2] = table[Int(group << 2 & 63)]
            n += 3
        default:
            break
        }
        return n
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode($0) }
    }

    /// `decode` on UTF-8 bytes, into an array sized once (a verifier
    /// decodes a signature and a key per transaction).
    public static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        if input.count % 4 == 1 { return nil }
        var valid = true
        // Allocated through the specialized path ([UInt8].written): the
        // generic initializer looks the array's metadata up per call.
        let out = [UInt8].written(capacity: input.count * 3 / 4) { span in span.withUnsafeMutableBufferPointer { buffer, initialized in
            var buffered: UInt32 = 0
            var bits = 0
            var n = 0
            // The table lent once, not looked up through its global per character.
            reverse.withUnsafeBufferPointer { reverse in
                for c in input {
                    let v = reverse[Int(c)]
                    if v < 0 { valid = false; break }
                    buffered = buffered << 6 | UInt32(v)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        buffer[n] = UInt8(truncatingIfNeeded: buffered >> UInt32(bits))
                        n += 1
                    }
                }
            }
            // Leftover bits must be zero, otherwise two strings decode to one value.
            if valid && bits > 0 && buffered & ((1 << UInt32(bits)) - 1) != 0 { valid = false }
            initialized = n
        } }
        return valid ? out : nil
    }
}
