import Foundation
import Testing
@testable import EHXShared

@Suite struct MiningKernelTests {
    @Test func bestKernelIsTheFirstAvailable() {
        let kernels = NonceSearch.availableKernels
        #expect(kernels.contains(.portable))
        #expect(NonceSearch.bestKernel == kernels.first)
        #if arch(x86_64) && os(Linux)
        // cpuid and the kernel's own view of the CPU must agree.
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
            let hasSHA = flags.split(separator: " ").contains("sha_ni") && flags.split(separator: " ").contains("sse4_1")
            #expect(kernels.contains(.shaNI) == hasSHA)
        }
        #endif
    }

    /// Each kernel's per-nonce path (midstate, precomputed words, interleaved
    /// lanes) against libcrypto on random headers.
    @Test(arguments: NonceSearch.availableKernels) func agreesWithLibcrypto(kernel: NonceSearch.Kernel) {
        var rng = SplitMix64(state: 0x5eed)
        var mismatches: [String] = []
        for i in 0..<10_000 {
            var header = MiningFixtures.randomHeader(using: &rng)
            if i == 0 { header.nonce = 0 }
            if i == 1 { header.nonce = .max }
            if NonceSearch.hash(header, kernel: kernel) != SHA256.doubleHash(header.serialized), mismatches.count < 5 {
                mismatches.append(Hex.encode(header.serialized))
            }
        }
        #expect(mismatches.isEmpty, "headers hashed wrong: \(mismatches)")
    }

    @Test(arguments: NonceSearch.availableKernels) func hashesTheGenesisHeader(kernel: NonceSearch.Kernel) throws {
        var header = try MiningFixtures.genesis()
        header.nonce = MiningFixtures.genesisNonce
        #expect(NonceSearch.hash(header, kernel: kernel).displayHex == MiningFixtures.genesisHash)
    }

    /// The five Bitcoin headers in ../shared (skipped when the file is absent):
    /// each kernel finds each block's nonce, single- and multi-threaded.
    @Test(.enabled(if: SharedFiles.exists("vectors/bitcoin/headers.json")), arguments: NonceSearch.availableKernels)
    func minesTheBitcoinVectorHeaders(kernel: NonceSearch.Kernel) throws {
        let file = try #require(SharedFiles.json("vectors/bitcoin/headers.json") as? [String: Any])
        let blocks = try #require(file["blocks"] as? [[String: Any]])
        #expect(!blocks.isEmpty)
        for block in blocks {
            let headerHex = try #require(block["header_hex"] as? String)
            let header = try BlockHeader(serialized: try #require(Hex.decode(headerHex)))
            let nonce = header.nonce
            #expect(header.hash.displayHex == block["hash"] as? String)
            #expect(NonceSearch.hash(header, kernel: kernel).displayHex == block["hash"] as? String)
            let target = try CompactTarget(bits: header.bits)
            var cleared = header
            cleared.nonce = 0
            let from = nonce >= 1_000 ? nonce - 1_000 : 0
            let through = nonce <= .max - 100 ? nonce + 100 : .max
            #expect(NonceSearch.search(cleared, target: target, from: from, through: through, kernel: kernel)?.nonce == nonce)
            #expect(NonceSearch.parallel(cleared, target: target, from: from, through: through, threads: 3,
                                         kernel: kernel, chunk: 64, shouldStop: { false }).found?.nonce == nonce)
        }
    }
}
