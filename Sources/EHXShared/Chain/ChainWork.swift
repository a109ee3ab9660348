/// Cumulative proof of work as an exact 256-bit integer: the sum over blocks
/// of floor(2^256 / (target + 1)), Bitcoin Core's `GetBlockProof`. Fork
/// choice compares these exactly; `approximate` is for display only.
public struct ChainWork: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// Little-endian 64-bit limbs.
    private var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public static let zero = ChainWork()

    public init() {}

    /// The work of one block at `target`: floor(2^256 / (target + 1)),
    /// exact (`CompactTarget.exactWork`, over OpenSSL's BIGNUM). Only a zero
    /// target would need 257 bits, and CompactTarget refuses it.
    public init(of target: CompactTarget) {
        self.init(bigEndian: target.exactWork.bigEndianBytes(count: 32) ?? [UInt8](repeating: 0xff, count: 32))
    }

    /// From lowercase hex as `hex` prints it (leading zeros optional).
    public init?(hex text: String) {
        let padded = String(repeating: "0", count: max(0, 64 - text.utf8.count)) + text
        guard padded.utf8.count == 64, let bytes = Hex.decode(padded) else { return nil }
        self.init(bigEndian: bytes)
    }

    init(bigEndian bytes: [UInt8]) {
        var l: [UInt64] = [0, 0, 0, 0]
        for (i, byte) in bytes.suffix(32).reversed().enumerated() {
            l[i / 8] |= UInt64(byte) << (8 * UInt64(i % 8))
        }
        limbs = (l[0], l[1], l[2], l[3])
    }

    private var array: [UInt64] { [limbs.0, limbs.1, limbs.2, limbs.3] }

    /// Sum, saturating at 2^256 - 1 (unreachable by any real chain).
    public static func + (a: ChainWork, b: ChainWork) -> ChainWork {
        let (sum, overflow) = limbwise(a, b) { $0.addingReportingOverflow($1) }
        return overflow ? ChainWork(limbs: [.max, .max, .max, .max]) : sum
    }

    public static func += (a: inout ChainWork, b: ChainWork) { a = a + b }

    /// a - b for a >= b (zero otherwise): the work of a chain's part after a block.
    public static func difference(_ a: ChainWork, _ b: ChainWork) -> ChainWork {
        guard b < a else { return .zero }
        return limbwise(a, b) { $0.subtractingReportingOverflow($1) }.result
    }

    /// `step` limb by limb from the lowest, passing each limb's carry (or
    /// borrow) on to the next; whether one is left over at the top.
    private static func limbwise(_ a: ChainWork, _ b: ChainWork,
                                 _ step: (UInt64, UInt64) -> (partialValue: UInt64, overflow: Bool)) -> (result: ChainWork, overflow: Bool) {
        let x = a.array, y = b.array
        var out: [UInt64] = [0, 0, 0, 0]
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (r1, o1) = step(x[i], y[i])
            let (r2, o2) = step(r1, carry)
            out[i] = r2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return (ChainWork(limbs: out), carry != 0)
    }

    private init(limbs l: [UInt64]) {
        limbs = (l[0], l[1], l[2], l[3])
    }

    public static func < (a: ChainWork, b: ChainWork) -> Bool {
        let x = a.array, y = b.array
        for i in stride(from: 3, through: 0, by: -1) where x[i] != y[i] { return x[i] < y[i] }
        return false
    }

    public static func == (a: ChainWork, b: ChainWork) -> Bool { a.array == b.array }

    /// Lowercase hex without leading zeros ("0" for none), like Bitcoin's chainwork.
    public var hex: String {
        let trimmed = paddedHex.drop(while: { $0 == "0" })
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// About 53 significant bits, for people.
    public var approximate: Double {
        array.reversed().reduce(0.0) { $0 * 0x1p64 + Double($1) }
    }

    /// As every tool prints it: all 64 hex digits (Bitcoin's chainwork form).
    public var description: String { paddedHex }

    /// All 64 hex digits, for fixed-width output.
    public var paddedHex: String {
        Hex.encode(array.reversed().flatMap { limb in (0..<8).reversed().map { UInt8(truncatingIfNeeded: limb >> (8 * UInt64($0))) } })
    }
}
