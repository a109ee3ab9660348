/// RFC 4648 §5 base64url without padding: the form of every binary blob in
/// ehx JSON. Decoding is strict (no padding, no whitespace, canonical final
/// bits) so that each blob has a single spelling and a re-encoded record is
/// byte-identical.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        switch input.count - i {
        case 1:
            let n = UInt32(input[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
        case 2:
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
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
        let out = [UInt8](unsafeUninitializedCapacity: input.count * 3 / 4) { buffer, initialized in
            var buffered: UInt32 = 0
            var bits = 0
            var n = 0
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
            // Leftover bits must be zero, otherwise two strings decode to one value.
            if valid && bits > 0 && buffered & ((1 << UInt32(bits)) - 1) != 0 { valid = false }
            initialized = n
        }
        return valid ? out : nil
    }
}
