/// Bitcoin's compact ("nBits") target: a base-256 float with a one-byte size
/// and a 23-bit mantissa plus sign bit. Decoding follows Bitcoin Core's
/// `arith_uint256::SetCompact` bit for bit, so headers mined elsewhere check
/// the same here; values Core flags as negative or overflowing, and a zero
/// target, are refused instead of silently clamped.
public struct CompactTarget: Sendable, Equatable {
    public let bits: UInt32

    public init(bits: UInt32) throws(ChainPrimitiveError) {
        let size = Int(bits >> 24)
        let word = bits & 0x007f_ffff
        let mantissa = size <= 3 ? word >> (8 * UInt32(3 - size)) : word
        // Core judges the sign on the mantissa after the small-size shift, so
        // "01803456" is a zero target, not a negative one.
        if mantissa != 0 && bits & 0x0080_0000 != 0 { throw .negativeTarget(bits) }
        if mantissa != 0 && (size > 34 || (mantissa > 0xff && size > 33) || (mantissa > 0xffff && size > 32)) {
            throw .targetOverflow(bits)
        }
        if mantissa == 0 { throw .zeroTarget(bits) }
        self.bits = bits
    }

    public init?(bitsHex: String) {
        guard bitsHex.utf8.count == 8, let bytes = Hex.decode(bitsHex) else { return nil }
        let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard let target = try? CompactTarget(bits: value) else { return nil }
        self = target
    }

    public var bitsHex: String { Self.hex(bits) }

    static func hex(_ bits: UInt32) -> String {
        Hex.encode([UInt8(bits >> 24), UInt8(truncatingIfNeeded: bits >> 16),
                    UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits)])
    }

    /// 32 bytes, big-endian.
    public var target: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let size = Int(bits >> 24)
        let word = bits & 0x007f_ffff
        // Mantissa byte i (0 = least significant) has weight 256^(size - 3 + i);
        // weights below 0 are the bytes Core shifts out for size < 3, and init
        // already refused anything with weight 32 or more.
        for i in 0..<3 {
            let weight = size - 3 + i
            guard weight >= 0, weight < 32 else { continue }
            out[31 - weight] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))
        }
        return out
    }

    /// Bitcoin Core's `GetCompact` for a non-negative value: the shortest
    /// encoding, with the mantissa shifted down when its top bit would read as
    /// a sign. Any length of input is accepted; leading zero bytes are ignored.
    public static func compact(fromTarget bigEndian: [UInt8]) -> UInt32 {
        guard let first = bigEndian.firstIndex(where: { $0 != 0 }) else { return 0 }
        let significant = bigEndian[first...]
        var size = significant.count
        var mantissa: UInt32 = 0
        for (offset, byte) in significant.prefix(3).enumerated() {
            mantissa |= UInt32(byte) << (8 * UInt32(2 - offset))
        }
        if mantissa & 0x0080_0000 != 0 {
            mantissa >>= 8
            size += 1
        }
        // A size above 255 cannot fit the exponent byte; such a number is far
        // beyond any 256-bit target, so saturate rather than wrap.
        guard size <= 0xff else { return 0xff7f_ffff }
        return UInt32(size) << 24 | mantissa
    }

    /// Compares the hash as Bitcoin does: a little-endian 256-bit number.
    public func isMet(by hash: SHA256Digest) -> Bool {
        let target = self.target
        return hash.withUnsafeBytes { bytes -> Bool in
            for (hashByte, targetByte) in zip(bytes.reversed(), target) where hashByte != targetByte {
                return hashByte < targetByte
            }
            return true
        }
    }
}
