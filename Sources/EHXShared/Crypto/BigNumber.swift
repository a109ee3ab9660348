import COpenSSL

/// A non-negative integer of any size, on libcrypto's BIGNUM: the exact
/// 256-bit arithmetic of difficulty retargets and chain work. A value type;
/// every operation returns a new number and never changes its operands, so
/// the BIGNUM pointer never leaves this file.
public struct BigNumber: Sendable, Comparable, CustomStringConvertible {
    /// Owns one BIGNUM; immutable after init, hence safe to share.
    private final class Storage: @unchecked Sendable {
        let bn: OpaquePointer

        init() {
            // BN_new fails only when memory is exhausted.
            guard let bn = BN_new() else { fatalError("libcrypto BN_new failed (out of memory)") }
            self.bn = bn
        }

        deinit { BN_free(bn) }
    }

    private let storage: Storage
    private var bn: OpaquePointer { storage.bn }

    private init(_ build: (OpaquePointer) -> Int32) {
        storage = Storage()
        precondition(build(storage.bn) == 1, "libcrypto BIGNUM operation failed (out of memory)")
    }

    public init(_ value: UInt64) {
        self.init { BN_set_word($0, UInt(value)) }
    }

    /// A big-endian unsigned integer of any length (empty is zero).
    public init(bigEndian bytes: [UInt8]) {
        self.init { bn in
            bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), bn) } == nil ? 0 : 1
        }
    }

    /// 2^exponent.
    public static func power(ofTwo exponent: Int) -> BigNumber {
        BigNumber { bn in BN_set_word(bn, 1) == 1 ? BN_lshift(bn, bn, Int32(exponent)) : 0 }
    }

    public static let zero = BigNumber(0)

    public var isZero: Bool { BN_is_zero(bn) == 1 }

    /// Significant bits (0 for zero).
    public var bitWidth: Int { Int(BN_num_bits(bn)) }

    /// Big-endian bytes, left-padded with zeros to `count`; nil when the value does not fit.
    public func bigEndianBytes(count: Int) -> [UInt8]? {
        guard (bitWidth + 7) / 8 <= count else { return nil }
        var out = [UInt8](repeating: 0, count: count)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2binpad(bn, $0.baseAddress, Int32(count)) }
        return written == Int32(count) ? out : nil
    }

    /// Shortest big-endian bytes (empty for zero).
    public var bigEndianBytes: [UInt8] { bigEndianBytes(count: (bitWidth + 7) / 8) ?? [] }

    /// Lowercase hex, no leading zeros ("0" for zero).
    public var hex: String {
        let bytes = bigEndianBytes
        if bytes.isEmpty { return "0" }
        let text = Hex.encode(bytes)
        return String(text.drop(while: { $0 == "0" }))
    }

    /// Lowercase hex left-padded to `digits`, as Bitcoin prints chain work.
    public func hex(digits: Int) -> String {
        let plain = hex
        return plain.count >= digits ? plain : String(repeating: "0", count: digits - plain.count) + plain
    }

    public var description: String { "0x" + hex }

    /// Approximate value, for display and rates.
    public var doubleValue: Double { bigEndianBytes.reduce(0.0) { $0 * 256 + Double($1) } }

    public static func + (a: BigNumber, b: BigNumber) -> BigNumber {
        BigNumber { BN_add($0, a.bn, b.bn) }
    }

    /// a - b, or zero when b > a (these numbers are never negative).
    public static func - (a: BigNumber, b: BigNumber) -> BigNumber {
        if b >= a { return .zero }
        return BigNumber { BN_sub($0, a.bn, b.bn) }
    }

    public static func * (a: BigNumber, b: BigNumber) -> BigNumber {
        withContext { ctx in BigNumber { BN_mul($0, a.bn, b.bn, ctx) } }
    }

    /// Floor division; nil when dividing by zero.
    public static func / (a: BigNumber, b: BigNumber) -> BigNumber? {
        guard !b.isZero else { return nil }
        return withContext { ctx in BigNumber { BN_div($0, nil, a.bn, b.bn, ctx) } }
    }

    public static func == (a: BigNumber, b: BigNumber) -> Bool { BN_cmp(a.bn, b.bn) == 0 }

    public static func < (a: BigNumber, b: BigNumber) -> Bool { BN_cmp(a.bn, b.bn) < 0 }

    private static func withContext<R>(_ body: (OpaquePointer) -> R) -> R {
        guard let ctx = BN_CTX_new() else { fatalError("libcrypto BN_CTX_new failed (out of memory)") }
        defer { BN_CTX_free(ctx) }
        return body(ctx)
    }
}
