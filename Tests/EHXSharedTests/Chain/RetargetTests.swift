import Foundation
import Testing
@testable import EHXShared

/// Bitcoin's retarget arithmetic against Bitcoin Core's own cases, and the clamps.
@Suite struct RetargetArithmetic {
    static let bitsFile = "vectors/bitcoin/compact_bits.json"
    static let twoWeeks: Int64 = 14 * 24 * 60 * 60
    static let mainnetLimit = BigNumber(bigEndian: Hex.decode("00000000" + String(repeating: "f", count: 56))!)

    static func vectors() -> [String: Any] {
        (SharedFiles.json(bitsFile) as? [String: Any]) ?? [:]
    }

    @Test(.enabled(if: SharedFiles.exists(bitsFile)))
    func bitcoinCoreRetargetCases() throws {
        let file = Self.vectors()
        let limitHex = try #require(file["pow_limit_hex"] as? String)
        let limit = BigNumber(bigEndian: try #require(Hex.decode(limitHex)))
        #expect(limit == Self.mainnetLimit)
        let cases = file["retarget"] as? [[String: Any]] ?? []
        #expect(cases.count == 4)
        for entry in cases {
            let name = entry["name"] as? String ?? "?"
            let last = try CompactTarget(bits: try #require((entry["last_bits"] as? NSNumber)?.uint32Value))
            let first = try #require((entry["last_retarget_time"] as? NSNumber)?.int64Value)
            let lastTime = try #require((entry["last_time"] as? NSNumber)?.int64Value)
            let expected = try #require((entry["expected_bits"] as? NSNumber)?.uint32Value)
            // Core's cases are at the last block of an interval: height+1 is a multiple of 2016.
            let height = try #require((entry["last_height"] as? NSNumber)?.int64Value)
            #expect((height + 1) % 2016 == 0, "\(name)")
            let next = Retarget.nextBits(lastBits: last, firstTime: first, lastTime: lastTime,
                                         targetTimespan: Self.twoWeeks, powLimit: limit)
            #expect(next.bits == expected, "\(name): got \(next.bitsHex), Core says \(entry["expected_bits_hex"] ?? "?")")
        }
    }

    /// GetCompact of every SetCompact target in Core's table, through BigNumber's bytes.
    @Test(.enabled(if: SharedFiles.exists(bitsFile)))
    func getCompactOfCoreTargets() throws {
        for entry in Self.vectors()["set_compact"] as? [[String: Any]] ?? [] {
            guard entry["get_compact_called_with_negative"] as? Bool != true,
                  let targetHex = entry["target_hex"] as? String, let bytes = Hex.decode(targetHex),
                  let expected = (entry["get_compact"] as? NSNumber)?.uint32Value else { continue }
            let value = BigNumber(bigEndian: bytes)
            #expect(CompactTarget.compact(fromTarget: value.bigEndianBytes) == expected, "\(targetHex)")
        }
    }

    @Test func clampsToAQuarterAndFourTimes() throws {
        let last = try CompactTarget(bits: 0x1c05_a3f4)
        let limit = Self.mainnetLimit
        func next(_ span: Int64) -> UInt32 {
            Retarget.nextBits(lastBits: last, firstTime: 1_000_000, lastTime: 1_000_000 + span,
                              targetTimespan: Self.twoWeeks, powLimit: limit).bits
        }
        // Anything faster than a quarter of the timespan is a quarter: Core's lower-limit case.
        #expect(next(Self.twoWeeks / 4) == 0x1c01_68fd)
        #expect(next(1) == 0x1c01_68fd)
        #expect(next(0) == 0x1c01_68fd)
        #expect(next(-5000) == 0x1c01_68fd, "a last block older than the first (allowed by the median rule) clamps too")
        #expect(next(Self.twoWeeks) == 0x1c05_a3f4, "on schedule: unchanged")
        #expect(next(Self.twoWeeks * 4) == next(Self.twoWeeks * 40), "slower than 4x is 4x")
        #expect(next(Self.twoWeeks * 4) == 0x1c16_8fd0)
        #expect(Retarget.clampedTimespan(actual: 10, target: 100) == 25)
        #expect(Retarget.clampedTimespan(actual: 1000, target: 100) == 400)
        #expect(Retarget.clampedTimespan(actual: 150, target: 100) == 150)
    }

    @Test func cappedAtThePowLimitWithoutWrapping() throws {
        // 207fffff is about 2^255: Core's 256-bit multiply would wrap at x4;
        // BIGNUM does not, and the cap brings it back to the limit.
        let easy = try CompactTarget(bits: 0x207f_ffff)
        let limit = BigNumber(bigEndian: easy.target)
        let slow = Retarget.nextBits(lastBits: easy, firstTime: 0, lastTime: 4000, targetTimespan: 1000, powLimit: limit)
        #expect(slow.bits == 0x207f_ffff)
        let fast = Retarget.nextBits(lastBits: easy, firstTime: 0, lastTime: 1, targetTimespan: 1000, powLimit: limit)
        #expect(fast.bits == 0x201f_ffff)
        // A target of 1 made harder would be 0; it stays a valid (unmeetable) target.
        let one = try CompactTarget(bits: 0x0101_0000)
        let floor = Retarget.nextBits(lastBits: one, firstTime: 0, lastTime: 0, targetTimespan: 1000, powLimit: limit)
        #expect(floor.target.last == 1 && floor.target.dropLast().allSatisfy { $0 == 0 })
    }

    @Test func bigNumberBasics() throws {
        let a = BigNumber(bigEndian: [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01])
        #expect(a.hex == "10000000000000001")
        #expect(a.bitWidth == 65)
        #expect((a * BigNumber(2)).hex == "20000000000000002")
        #expect((a / BigNumber(2))?.hex == "8000000000000000")
        #expect((a / .zero) == nil)
        #expect((BigNumber(5) - BigNumber(7)).isZero)
        #expect(BigNumber.power(ofTwo: 256).bitWidth == 257)
        #expect(BigNumber(0).hex == "0")
        #expect(BigNumber(255).bigEndianBytes(count: 4) == [0, 0, 0, 255])
        #expect(BigNumber.power(ofTwo: 256).bigEndianBytes(count: 32) == nil)
        #expect(BigNumber(3) < BigNumber(4) && !(BigNumber(4) < BigNumber(4)))
    }
}

/// Chain work, exactly: Bitcoin's 2^256 / (target + 1).
@Suite struct DifficultyWork {
    @Test func exactWorkOfKnownTargets() throws {
        // Bitcoin's genesis bits: 0x100010001 hashes (Core's chainwork of block 0).
        #expect(try CompactTarget(bits: 0x1d00_ffff).exactWork.hex == "100010001")
        #expect(try CompactTarget(bits: 0x207f_ffff).exactWork.hex == "2")
        let w = try CompactTarget(bits: 0x1e0f_ffff)
        #expect(abs(w.exactWork.doubleValue - w.work) / w.work < 1e-12)
    }
}

/// A chain whose genesis carries a retarget, built and checked in-process.
@Suite struct RetargetChain {
    /// Mines the next block at `time` with the bits the validator asks for (or `bits`).
    static func next(_ chain: inout TestChain, time: Int64, bits: UInt32? = nil) throws -> Block {
        var validator = ChainValidator(now: time + 10)
        for block in chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        let tip = chain.blocks[chain.blocks.count - 1]
        let stamp = try Transaction.sign(type: .stamp, body: Stamp(height: tip.height + 1, extranonce: 0).json, key: chain.miner)
        let required = try #require(validator.nextBits)
        let block = try TestChain.mine([stamp], height: tip.height + 1, prev: tip.header.hash,
                                       time: UInt32(time), bits: bits ?? required.bits)
        chain.blocks.append(block)
        chain.clock = time
        return block
    }

    @Test func bitsChangeAtTheBoundaryAndVerify() throws {
        var chain = try TestChain(retarget: .init(interval: 4, spacing: 600))
        let start = chain.clock
        // Fast blocks (60 s for 600 s spacing): the target drops by the 4x clamp at height 4.
        for i in 1...4 { _ = try Self.next(&chain, time: start + 60 * Int64(i)) }
        // Then slow ones (a day each): at height 8 it eases 4x; the compact
        // rounding lost the low bits, so it is 207ffffc, not the genesis 207fffff.
        for i in 5...8 { _ = try Self.next(&chain, time: start + 240 + 86_400 * Int64(i - 4)) }
        // Another slow interval: 4x again would pass the limit; it is capped there.
        for i in 9...13 { _ = try Self.next(&chain, time: start + 240 + 86_400 * Int64(i - 4)) }
        let bits = chain.blocks.map(\.header.bits)
        #expect(Array(bits[0..<4]) == Array(repeating: TestChain.easyBits, count: 4))
        #expect(Array(bits[4..<8]) == Array(repeating: 0x201f_ffff, count: 4))
        #expect(Array(bits[8..<12]) == Array(repeating: 0x207f_fffc, count: 4))
        #expect(bits[12] == TestChain.easyBits)
        #expect(bits[13] == TestChain.easyBits)
        #expect(chain.validate().isEmpty, "\(chain.validate())")
    }

    @Test func theOldBitsAtABoundaryAreRefused() throws {
        var chain = try TestChain(retarget: .init(interval: 4, spacing: 600))
        let start = chain.clock
        for i in 1...3 { _ = try Self.next(&chain, time: start + 60 * Int64(i)) }
        _ = try Self.next(&chain, time: start + 240, bits: TestChain.easyBits)
        let problems = chain.validate()
        #expect(problems.keys.sorted() == [4])
        #expect(problems[4]?.map(\.rule) == [.bits], "\(problems)")
        #expect(problems[4]?.first?.detail.contains("201fffff") == true)
    }

    @Test func fixedDifficultyIgnoresBlockTimes() throws {
        var chain = try TestChain()
        for i in 1...6 { _ = try Self.next(&chain, time: chain.clock + Int64(i)) }
        #expect(chain.blocks.allSatisfy { $0.header.bits == TestChain.easyBits })
        #expect(chain.validate().isEmpty)
    }

    @Test func rulesCarryTheRetargetAndRefuseBadOnes() throws {
        let key = try Ed25519.PrivateKey()
        let rules = ChainRules(chain: "r", authorities: [key.publicKey], bits: try CompactTarget(bits: 0x207f_ffff),
                               retarget: .init(interval: 2016, spacing: 600), grants: [])
        #expect(rules.json["retarget"] == ["interval": 2016, "spacing": 600])
        #expect(try ChainRules(parsing: rules.json).retarget == .init(interval: 2016, spacing: 600))
        func with(_ value: JSONValue?) -> JSONValue {
            guard case .object(var members) = rules.json else { return rules.json }
            members["retarget"] = value
            return .object(members)
        }
        #expect(try ChainRules(parsing: with(nil)).retarget == nil)
        for bad: JSONValue in [["interval": 1, "spacing": 600], ["interval": 10, "spacing": 0],
                               ["interval": 10], ["interval": 10, "spacing": 60, "x": 1], "2016"] {
            #expect(throws: RecordError.self, "\(bad)") { try ChainRules(parsing: with(bad)) }
        }
    }
}

/// `ehx-keygen genesis --block-seconds`: a rate and a time become bits.
@Suite struct DifficultyFromRate {
    @Test func bitsMatchTheExpectedHashes() throws {
        for (rate, seconds) in [(1e6, 1.0), (3.5e7, 60.0), (2e8, 600.0), (12_345.0, 0.5)] {
            let bits = Difficulty.bits(hashesPerSecond: rate, blockSeconds: seconds)
            let work = bits.exactWork.doubleValue
            // Compact rounding only ever lowers the target (more work), by under 2^-15.
            #expect(work >= rate * seconds * 0.9999 && work <= rate * seconds * 1.0001, "\(bits.bitsHex): \(work)")
        }
    }

    @Test func neverEasierThanTheEasiest() {
        #expect(Difficulty.bits(hashesPerSecond: 1, blockSeconds: 1).bits == 0x207f_ffff)
        #expect(Difficulty.bits(hashesPerSecond: 0, blockSeconds: 1).bits == 0x207f_ffff)
        #expect(Difficulty.bits(hashesPerSecond: .nan, blockSeconds: 1).bits == 0x207f_ffff)
        #expect(Difficulty.bits(hashesPerSecond: 3, blockSeconds: 1).bits != 0x207f_ffff)
    }
}
