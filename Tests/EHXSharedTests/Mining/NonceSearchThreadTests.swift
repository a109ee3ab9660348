import Testing
@testable import EHXShared

@Suite struct NonceSearchThreadTests {
    static let kernels = NonceSearch.availableKernels

    /// The genesis nonce with real thread counts and the production chunk
    /// size (the range spans several chunks, so several threads really run).
    @Test(arguments: kernels) func findsTheGenesisNonceOnThreads(kernel: NonceSearch.Kernel) throws {
        let header = try MiningFixtures.genesis()
        let target = try CompactTarget(bits: header.bits)
        for threads in [1, 2, 4] {
            let found = NonceSearch.search(header, target: target, from: 2_083_236_000, through: 2_083_237_000,
                                           threads: threads, kernel: kernel)
            #expect(found?.nonce == MiningFixtures.genesisNonce)
            #expect(found?.hash.displayHex == MiningFixtures.genesisHash)
            // Solution in the last of several chunks.
            let wide = NonceSearch.search(header, target: target, from: MiningFixtures.genesisNonce - 200_000,
                                          through: MiningFixtures.genesisNonce, threads: threads, kernel: kernel)
            #expect(wide?.nonce == MiningFixtures.genesisNonce)
        }
        // Small chunks: many claims, many threads, the solution mid-range.
        for (threads, chunk) in [(2, 1), (3, 7), (8, 64), (5, 1000)] as [(Int, UInt64)] {
            let outcome = NonceSearch.parallel(header, target: target, from: 2_083_236_000, through: 2_083_237_000,
                                               threads: threads, kernel: kernel, chunk: chunk, shouldStop: { false })
            #expect(outcome.found?.nonce == MiningFixtures.genesisNonce, "threads \(threads) chunk \(chunk)")
        }
    }

    @Test(arguments: kernels) func impossibleRangeReturnsNil(kernel: NonceSearch.Kernel) throws {
        let header = try MiningFixtures.genesis()
        let target = try CompactTarget(bits: header.bits)
        #expect(NonceSearch.search(header, target: target, from: 2_083_236_894, through: 2_083_400_000,
                                   threads: 2, kernel: kernel) == nil)
        #expect(NonceSearch.search(header, target: target, from: 10, through: 9, threads: 4, kernel: kernel) == nil)
        let impossible = try CompactTarget(bits: 0x0300_0001)
        let outcome = NonceSearch.parallel(header, target: impossible, from: .max - 150_000, through: .max,
                                           threads: 3, kernel: kernel, shouldStop: { false })
        #expect(outcome.found == nil)
        #expect(outcome.hashes == 150_001, "every nonce of the range is tried exactly once")
    }

    /// Multi-threaded answers equal the single-threaded first solution, and
    /// that solution meets the target by libcrypto's hash.
    @Test(arguments: kernels) func matchesSingleThreaded(kernel: NonceSearch.Kernel) throws {
        var rng = SplitMix64(state: 99)
        for bits: UInt32 in [0x2000ffff, 0x1f7fffff] {
            let target = try CompactTarget(bits: bits)
            for _ in 0..<6 {
                let header = MiningFixtures.randomHeader(using: &rng, bits: bits)
                let from = UInt32.random(in: 0...UInt32.max - 300_000, using: &rng)
                let through = from + 200_000
                let single = NonceSearch.search(header, target: target, from: from, through: through, kernel: kernel)
                if let single { #expect(target.isMet(by: single.hash)) }
                for (threads, chunk) in [(2, NonceSearch.threadChunk), (3, 97), (4, 1024)] as [(Int, UInt64)] {
                    let multi = NonceSearch.parallel(header, target: target, from: from, through: through,
                                                     threads: threads, kernel: kernel, chunk: chunk, shouldStop: { false }).found
                    #expect(multi == single, "threads \(threads) chunk \(chunk)")
                    if let multi { #expect(target.isMet(by: multi.hash)) }
                }
            }
        }
    }

    @Test func stopsWhenAsked() throws {
        let header = try MiningFixtures.genesis()
        let impossible = try CompactTarget(bits: 0x0300_0001)
        var polls = 0
        let outcome = NonceSearch.parallel(header, target: impossible, from: 0, through: .max, threads: 2,
                                           kernel: NonceSearch.bestKernel, chunk: 1024) {
            polls += 1
            return polls > 3
        }
        #expect(outcome.found == nil)
        #expect(polls == 4)
        #expect(outcome.hashes < 1 << 24, "the other thread stopped too")
    }

    @Test func easyTargetOnThreads() throws {
        let header = try MiningFixtures.genesis()
        let easy = try CompactTarget(bits: 0x2000ffff)
        var h = header
        h.bits = easy.bits
        let found = try #require(NonceSearch.search(h, target: easy, from: 0, through: .max, threads: 2))
        #expect(easy.isMet(by: found.hash))
        #expect(found.nonce == NonceSearch.search(h, target: easy, from: 0, through: .max)?.nonce)
    }

    @Test func benchmarkCountsHashes() {
        let result = MiningBenchmark.run(seconds: 0.2, threads: 2)
        #expect(result.hashes > 0)
        #expect(result.seconds >= 0.2)
        #expect(result.threads == 2)
        #expect(result.kernel == NonceSearch.bestKernel)
        #expect(result.hashesPerSecond > 0)
    }

    @Test func benchmarkSpreadIsMinMedianMax() {
        func run(_ rate: Double) -> MiningBenchmark.Result {
            MiningBenchmark.Result(hashes: UInt64(rate), seconds: 1, threads: 1, kernel: NonceSearch.bestKernel)
        }
        let odd = MiningBenchmark.Spread([run(30), run(10), run(20)])
        #expect(odd.min == 10 && odd.median == 20 && odd.max == 30 && odd.seconds == 3)
        let even = MiningBenchmark.Spread([run(40), run(10), run(20), run(30)])
        #expect(even.min == 10 && even.median == 25 && even.max == 40)
    }
}
