import Testing
@testable import EHXShared

@Suite struct NonceSearchTests {
    static func genesis() throws -> BlockHeader {
        let merkle = try #require(SHA256Digest(displayHex: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"))
        return BlockHeader(version: 1, prev: .zero, merkle: merkle, time: 1231006505, bits: 0x1d00ffff, nonce: 0)
    }

    @Test func findsTheGenesisNonce() throws {
        let header = try Self.genesis()
        let target = try CompactTarget(bits: header.bits)
        let found = try #require(NonceSearch.search(header, target: target, from: 2_083_236_000, through: 2_083_237_000))
        #expect(found.nonce == 2_083_236_893)
        #expect(found.hash.displayHex == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
        var expected = header
        expected.nonce = 2_083_236_893
        #expect(found == expected)
    }

    @Test func exhaustedRangeReturnsNil() throws {
        let header = try Self.genesis()
        let target = try CompactTarget(bits: header.bits)
        #expect(NonceSearch.search(header, target: target, from: 2_083_236_000, through: 2_083_236_892) == nil)
        #expect(NonceSearch.search(header, target: target, from: 2_083_236_894, through: 2_083_246_000) == nil)
        #expect(NonceSearch.search(header, target: target, from: 2_083_236_893, through: 2_083_236_893)?.nonce == 2_083_236_893)
        #expect(NonceSearch.search(header, target: target, from: 10, through: 9) == nil)
    }

    @Test func stopsWhenAsked() throws {
        let header = try Self.genesis()
        let target = try CompactTarget(bits: header.bits)
        var polls = 0
        let result = NonceSearch.search(header, target: target, from: 0, through: .max) {
            polls += 1
            return polls > 2
        }
        #expect(result == nil)
        #expect(polls == 3)
    }

    /// The C scan's comparison must agree with `CompactTarget.isMet` nonce by nonce.
    @Test func agreesWithIsMetOnAnEasyTarget() throws {
        var header = try Self.genesis()
        header.bits = 0x2000ffff                 // about 1 in 128 hashes meet it
        let target = try CompactTarget(bits: header.bits)
        var from: UInt32 = 0
        for _ in 0..<5 {
            let found = try #require(NonceSearch.search(header, target: target, from: from, through: from + 10_000))
            #expect(target.isMet(by: found.hash))
            for nonce in from..<found.nonce {
                var candidate = header
                candidate.nonce = nonce
                #expect(!target.isMet(by: candidate.hash), "nonce \(nonce) skipped")
            }
            from = found.nonce + 1
        }
    }

    @Test func rangeEndingAtMaxTerminates() throws {
        var header = try Self.genesis()
        header.bits = 0x1d00ffff
        let target = try CompactTarget(bits: header.bits)
        #expect(NonceSearch.search(header, target: target, from: .max - 5000, through: .max) == nil)
    }
}
