import Testing
@testable import EHXShared

/// Shared fixtures for the mining suites.
enum MiningFixtures {
    static let genesisNonce: UInt32 = 2_083_236_893
    static let genesisHash = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"

    /// Bitcoin's genesis header with the nonce cleared (public facts; the
    /// vector-file suite checks the same against ../shared when present).
    static func genesis() throws -> BlockHeader {
        let merkle = try #require(SHA256Digest(displayHex: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"))
        return BlockHeader(version: 1, prev: .zero, merkle: merkle, time: 1231006505, bits: 0x1d00ffff, nonce: 0)
    }

    static func randomHeader<R: RandomNumberGenerator>(using rng: inout R, bits: UInt32? = nil) -> BlockHeader {
        func digest() -> SHA256Digest {
            SHA256Digest(unchecked: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
        }
        return BlockHeader(version: UInt32.random(in: .min ... .max, using: &rng), prev: digest(), merkle: digest(),
                           time: UInt32.random(in: .min ... .max, using: &rng),
                           bits: bits ?? UInt32.random(in: .min ... .max, using: &rng),
                           nonce: UInt32.random(in: .min ... .max, using: &rng))
    }

    /// The first nonce in the range meeting the target, by libcrypto.
    static func firstSolution(_ header: BlockHeader, target: CompactTarget, from: UInt32, through: UInt32) -> UInt32? {
        var candidate = header
        for nonce in from...through {
            candidate.nonce = nonce
            if target.isMet(by: candidate.hash) { return nonce }
        }
        return nil
    }
}

/// Deterministic generator (SplitMix64) so a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension NonceSearch.Kernel: CustomTestStringConvertible {
    public var testDescription: String { name }
}

@Suite struct NonceSearchTests {
    static let kernels = NonceSearch.availableKernels

    @Test(arguments: kernels) func findsTheGenesisNonce(kernel: NonceSearch.Kernel) throws {
        let header = try MiningFixtures.genesis()
        let target = try CompactTarget(bits: header.bits)
        let found = try #require(NonceSearch.search(header, target: target, from: 2_083_236_000, through: 2_083_237_000, kernel: kernel))
        #expect(found.nonce == MiningFixtures.genesisNonce)
        #expect(found.hash.displayHex == MiningFixtures.genesisHash)
        var expected = header
        expected.nonce = MiningFixtures.genesisNonce
        #expect(found == expected)
    }

    @Test(arguments: kernels) func exhaustedRangeReturnsNil(kernel: NonceSearch.Kernel) throws {
        let header = try MiningFixtures.genesis()
        let target = try CompactTarget(bits: header.bits)
        #expect(NonceSearch.search(header, target: target, from: 2_083_236_000, through: 2_083_236_892, kernel: kernel) == nil)
        #expect(NonceSearch.search(header, target: target, from: 2_083_236_894, through: 2_083_246_000, kernel: kernel) == nil)
        #expect(NonceSearch.search(header, target: target, from: 2_083_236_893, through: 2_083_236_893, kernel: kernel)?.nonce == 2_083_236_893)
        #expect(NonceSearch.search(header, target: target, from: 10, through: 9, kernel: kernel) == nil)
        // Target 1 needs 255 leading zero bits: no nonce of any header meets it.
        let impossible = try CompactTarget(bits: 0x0300_0001)
        #expect(NonceSearch.search(header, target: impossible, from: 0, through: 20_000, kernel: kernel) == nil)
    }

    @Test func stopsWhenAsked() throws {
        let header = try MiningFixtures.genesis()
        let target = try CompactTarget(bits: header.bits)
        var polls = 0
        let result = NonceSearch.search(header, target: target, from: 0, through: .max) {
            polls += 1
            return polls > 2
        }
        #expect(result == nil)
        #expect(polls == 3)
    }

    /// The kernel's comparison must agree with `CompactTarget.isMet` (over
    /// libcrypto's hash) nonce by nonce: same first solution, none skipped.
    @Test(arguments: kernels) func agreesWithIsMetOnEasyTargets(kernel: NonceSearch.Kernel) throws {
        var rng = SplitMix64(state: 42)
        // about 1 in 128, 1 in 2 (top word 0x7fffff00: exercises the full compare), every hash
        for bits: UInt32 in [0x2000ffff, 0x207fffff, 0x2100ffff] {
            let target = try CompactTarget(bits: bits)
            for _ in 0..<8 {
                let header = MiningFixtures.randomHeader(using: &rng, bits: bits)
                var from = UInt32.random(in: 0...UInt32.max - 5_000, using: &rng)
                for _ in 0..<3 {
                    let expected = MiningFixtures.firstSolution(header, target: target, from: from, through: from + 2_000)
                    let found = NonceSearch.search(header, target: target, from: from, through: from + 2_000, kernel: kernel)
                    #expect(found?.nonce == expected)
                    guard let nonce = expected else { break }
                    from = nonce + 1
                }
            }
        }
    }

    /// Targets no compact `bits` can spell, at the edge the early exit
    /// decides on: equal top words must fall through to the full compare.
    @Test(arguments: kernels) func fullCompareDecidesEqualTopWords(kernel: NonceSearch.Kernel) throws {
        var rng = SplitMix64(state: 7)
        for _ in 0..<50 {
            let header = MiningFixtures.randomHeader(using: &rng)
            let exact = Array(header.hash.bytes.reversed())          // the hash as a big-endian number
            #expect(NonceSearch.scan(header, targetBytes: exact, from: header.nonce, through: header.nonce, kernel: kernel) == header.nonce)
            guard let below = Self.minusOne(exact) else { continue }
            #expect(NonceSearch.scan(header, targetBytes: below, from: header.nonce, through: header.nonce, kernel: kernel) == nil)
            var sameTop = exact
            for i in 4..<32 { sameTop[i] = 0xff }
            #expect(NonceSearch.scan(header, targetBytes: sameTop, from: header.nonce, through: header.nonce, kernel: kernel) == header.nonce)
            var topOnly = exact
            for i in 4..<32 { topOnly[i] = 0 }
            let expectTop = topOnly == exact ? header.nonce : nil
            #expect(NonceSearch.scan(header, targetBytes: topOnly, from: header.nonce, through: header.nonce, kernel: kernel) == expectTop)
        }
    }

    static func minusOne(_ value: [UInt8]) -> [UInt8]? {
        var out = value
        for i in stride(from: 31, through: 0, by: -1) {
            if out[i] > 0 { out[i] -= 1; return out }
            out[i] = 0xff
        }
        return nil
    }

    @Test(arguments: kernels) func rangeEndingAtMaxTerminates(kernel: NonceSearch.Kernel) throws {
        let header = try MiningFixtures.genesis()
        let target = try CompactTarget(bits: header.bits)
        #expect(NonceSearch.search(header, target: target, from: .max - 5000, through: .max, kernel: kernel) == nil)
        #expect(NonceSearch.search(header, target: target, from: .max, through: .max, kernel: kernel) == nil)
        // A one-nonce range is the interleaved path's lone lane; half of all
        // hashes meet this target, so both answers occur over a few headers.
        let half = try CompactTarget(bits: 0x207fffff)
        var rng = SplitMix64(state: 3)
        for _ in 0..<16 {
            let random = MiningFixtures.randomHeader(using: &rng, bits: half.bits)
            for nonce in [UInt32.max, UInt32.max - 1, 0] {
                #expect(NonceSearch.search(random, target: half, from: nonce, through: nonce, kernel: kernel)?.nonce
                        == MiningFixtures.firstSolution(random, target: half, from: nonce, through: nonce))
            }
        }
    }
}
