import Foundation
import Testing
@testable import EHXShared

@Suite struct CompactTargetTests {
    static let bitsFile = "vectors/bitcoin/compact_bits.json"

    static func vectors() -> [String: Any] {
        (SharedFiles.json(bitsFile) as? [String: Any]) ?? [:]
    }

    @Test(.enabled(if: SharedFiles.exists(bitsFile)))
    func setCompactCases() throws {
        let cases = Self.vectors()["set_compact"] as? [[String: Any]] ?? []
        #expect(cases.count == 20)
        var accepted = 0
        for entry in cases {
            let bits = try #require((entry["compact"] as? NSNumber)?.uint32Value)
            let negative = entry["negative"] as? Bool ?? false
            let overflow = entry["overflow"] as? Bool ?? false
            let targetHex = entry["target_hex"] as? String
            let name = entry["compact_hex"] as? String ?? "?"
            if negative {
                #expect(throws: ChainPrimitiveError.negativeTarget(bits), "\(name)") { try CompactTarget(bits: bits) }
            } else if overflow {
                #expect(throws: ChainPrimitiveError.targetOverflow(bits), "\(name)") { try CompactTarget(bits: bits) }
            } else if targetHex == String(repeating: "0", count: 64) {
                #expect(throws: ChainPrimitiveError.zeroTarget(bits), "\(name)") { try CompactTarget(bits: bits) }
            } else {
                let target = try CompactTarget(bits: bits)
                #expect(Hex.encode(target.target) == targetHex, "\(name)")
                #expect(target.bitsHex == name)
                #expect(CompactTarget(bitsHex: name) == target)
                accepted += 1
            }
            // A rejected value never becomes a target through the text form either.
            if negative || overflow { #expect(CompactTarget(bitsHex: name) == nil) }
        }
        #expect(accepted == 6)
    }

    @Test(.enabled(if: SharedFiles.exists(bitsFile)))
    func getCompactNormalizes() throws {
        let cases = Self.vectors()["set_compact"] as? [[String: Any]] ?? []
        var checked = 0
        for entry in cases where !(entry["negative"] as? Bool ?? false) {
            guard let targetHex = entry["target_hex"] as? String else { continue }
            let target = try #require(Hex.decode(targetHex))
            let expected = try #require((entry["get_compact"] as? NSNumber)?.uint32Value)
            #expect(CompactTarget.compact(fromTarget: target) == expected, "\(targetHex)")
            checked += 1
        }
        #expect(checked == 17)
        // Asserted upstream beside the table: a set top bit moves into the next byte.
        var eighty = [UInt8](repeating: 0, count: 32)
        eighty[31] = 0x80
        #expect(CompactTarget.compact(fromTarget: eighty) == 0x0200_8000)
    }

    @Test(.enabled(if: SharedFiles.exists(bitsFile)))
    func extraExamples() throws {
        let examples = Self.vectors()["extra_examples"] as? [[String: Any]] ?? []
        #expect(!examples.isEmpty)
        for example in examples {
            let hex = try #require(example["compact_hex"] as? String)
            let target = try #require(CompactTarget(bitsHex: hex))
            #expect(Hex.encode(target.target) == example["target_hex"] as? String)
            #expect(CompactTarget.compact(fromTarget: target.target) == target.bits)
        }
    }

    @Test func roundTripThroughGetCompactForCanonicalBits() throws {
        for bits: UInt32 in [0x1d00ffff, 0x207fffff, 0x1e0fffff, 0x1b0404cb, 0x03123456, 0x2100ffff, 0x1f7fffff] {
            let target = try CompactTarget(bits: bits)
            #expect(CompactTarget.compact(fromTarget: target.target) == bits, "\(target.bitsHex)")
        }
    }

    @Test func nonCanonicalBitsNormalize() throws {
        // Same target, two spellings: GetCompact picks the shortest one.
        let padded = try CompactTarget(bits: 0x2200_007f)
        #expect(CompactTarget.compact(fromTarget: padded.target) == 0x207f_0000)
        #expect(try CompactTarget(bits: 0x207f_0000).target == padded.target)
    }

    @Test func overflowBoundaryIs256Bits() throws {
        #expect(try CompactTarget(bits: 0x2100_ffff).target.first == 0xff)
        #expect(try CompactTarget(bits: 0x2200_00ff).target.first == 0xff)
        for bits: UInt32 in [0x2101_0000, 0x2200_0100, 0x2300_0001, 0x217f_ffff] {
            #expect(throws: ChainPrimitiveError.targetOverflow(bits)) { try CompactTarget(bits: bits) }
        }
    }

    @Test func bitsHexIsStrict() {
        #expect(CompactTarget(bitsHex: "1d00ffff")?.bits == 0x1d00ffff)
        for bad in ["1D00FFFF", "1d00fff", "1d00ffff00", "", "0x1d00ff", "1d00ffzz", "00000000"] {
            #expect(CompactTarget(bitsHex: bad) == nil, "\(bad)")
        }
    }

    @Test func isMetAtTheBoundary() throws {
        let target = try CompactTarget(bits: 0x1d00ffff)
        // The hash is little-endian, so a hash equal to the target is its bytes reversed.
        let equal = try SHA256Digest(bytes: target.target.reversed())
        #expect(target.isMet(by: equal))
        var above = target.target
        above[31] = 1                           // target + 1
        #expect(!target.isMet(by: try SHA256Digest(bytes: above.reversed())))
        var below = target.target
        below[5] = 0xfe                          // 0x...fffe... < target
        #expect(target.isMet(by: try SHA256Digest(bytes: below.reversed())))
        // The byte that matters most is the last byte of the digest.
        var highLast = [UInt8](repeating: 0, count: 32)
        highLast[31] = 0x01
        #expect(!target.isMet(by: try SHA256Digest(bytes: highLast)))
        var highFirst = [UInt8](repeating: 0, count: 32)
        highFirst[0] = 0xff
        #expect(target.isMet(by: try SHA256Digest(bytes: highFirst)))
    }

    @Test func workOfDifficultyOne() throws {
        // 2^256 / (0xffff * 2^208 + 1) = 2^48 / 0xffff, about 4295032833.
        let work = try CompactTarget(bits: 0x1d00ffff).work
        #expect(abs(work - 4_295_032_833.0) < 1)
        let easier = try CompactTarget(bits: 0x207fffff).work
        #expect(easier > 1.99 && easier < 2.01)
        #expect(try CompactTarget(bits: 0x1c00ffff).work > work * 255)
    }

    @Test func errorsDescribeTheBits() {
        #expect(ChainPrimitiveError.zeroTarget(0x0300_0000).description.contains("03000000"))
        #expect(ChainPrimitiveError.headerLength(79).description.contains("79"))
    }
}
