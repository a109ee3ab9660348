/// Why a header or compact target was refused. Each case carries the offending
/// value so a verifier's message can point at the exact field.
public enum ChainPrimitiveError: Error, CustomStringConvertible, Sendable, Equatable {
    case headerLength(Int)
    case negativeTarget(UInt32)
    case targetOverflow(UInt32)
    case zeroTarget(UInt32)

    public var description: String {
        switch self {
        case let .headerLength(count):
            return "block header must be \(BlockHeader.byteCount) bytes, got \(count)"
        case let .negativeTarget(bits):
            return "bits \(CompactTarget.hex(bits)) encode a negative target"
        case let .targetOverflow(bits):
            return "bits \(CompactTarget.hex(bits)) encode a target wider than 256 bits"
        case let .zeroTarget(bits):
            return "bits \(CompactTarget.hex(bits)) encode a zero target, which no hash can meet"
        }
    }
}

/// Bitcoin's 80-byte block header, kept byte-compatible so an auditor can
/// recompute a block hash with `xxd -r -p | openssl dgst` (DESIGN: "Blocks and
/// the chain file").
public struct BlockHeader: Sendable, Equatable {
    public static let byteCount = 80

    public var version: UInt32
    /// Hash-output byte order; the chain file shows `prev.displayHex`.
    public var prev: SHA256Digest
    /// The RFC 6962 root as computed; the chain file shows `merkle.displayHex`.
    public var merkle: SHA256Digest
    public var time: UInt32
    public var bits: UInt32
    public var nonce: UInt32

    public init(version: UInt32, prev: SHA256Digest, merkle: SHA256Digest, time: UInt32, bits: UInt32, nonce: UInt32) {
        self.version = version
        self.prev = prev
        self.merkle = merkle
        self.time = time
        self.bits = bits
        self.nonce = nonce
    }

    public init(serialized: [UInt8]) throws(ChainPrimitiveError) {
        guard serialized.count == Self.byteCount else { throw .headerLength(serialized.count) }
        version = Self.readLE(serialized, at: 0)
        prev = SHA256Digest(unchecked: Array(serialized[4..<36]))
        merkle = SHA256Digest(unchecked: Array(serialized[36..<68]))
        time = Self.readLE(serialized, at: 68)
        bits = Self.readLE(serialized, at: 72)
        nonce = Self.readLE(serialized, at: 76)
    }

    public var serialized: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.byteCount)
        Self.appendLE(version, to: &out)
        prev.withUnsafeBytes { out.append(contentsOf: $0) }
        merkle.withUnsafeBytes { out.append(contentsOf: $0) }
        Self.appendLE(time, to: &out)
        Self.appendLE(bits, to: &out)
        Self.appendLE(nonce, to: &out)
        return out
    }

    public var hash: SHA256Digest { SHA256.doubleHash(serialized) }

    static func appendLE(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    static func readLE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
