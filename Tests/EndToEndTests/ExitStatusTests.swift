import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// sysexits for setup failures: a missing chain (66), a key without the
/// miner role (77), the chain lock held by another process (75).
@Suite struct EndToEndExitStatus {
    @Test func verifyOfMissingFileIs66() throws {
        let dir = try Scratch("exit-missing")
        defer { dir.remove() }
        let result = try Tool.run("ehx-verify", [dir.path("no-such-chain.jsonl")])
        #expect(result.status == 66, "\(result)")
        #expect(result.errLines.count == 1, "\(result)")
        #expect(result.err.contains("no-such-chain.jsonl"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test func mineWithKeyLackingMinerRoleIs77() throws {
        let dir = try Scratch("exit-role")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 10, mine: false)
        let before = try Files.bytes(f.chain)
        let result = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.gatewayKey, f.txs])
        #expect(result.status == 77, "\(result)")
        #expect(result.errLines.count == 1, "\(result)")
        #expect(result.err.contains("miner role"), "\(result)")
        #expect(try Files.bytes(f.chain) == before, "the chain is untouched")
    }

    @Test func mineWhileChainLockIsHeldIs75() throws {
        let dir = try Scratch("exit-lock")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 10, mine: false)
        let before = try Files.bytes(f.chain)

        let fd = open(f.chain, O_RDWR | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(flock(fd, LOCK_EX) == 0)
        let result = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, f.txs], timeout: 30)
        #expect(!result.timedOut, "ehx-mine must not wait for the lock without --wait")
        #expect(result.status == 75, "\(result)")
        #expect(result.errLines.count == 1, "\(result)")
        #expect(try Files.bytes(f.chain) == before, "nothing appended while locked")

        // With the lock released the same run succeeds.
        flock(fd, LOCK_UN)
        let again = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "-q", f.txs])
        #expect(again.status == 0, "\(again)")
        #expect(try f.verify().status == 0)
    }
}

/// `ehx-mine --bench --repeat N`: the spread of N runs, so a benchmark
/// reader never takes one noisy figure for the rate.
@Suite struct EndToEndMiningBench {
    @Test func repeatReportsMinMedianMax() throws {
        let r = try Tool.run("ehx-mine", ["--bench", "--repeat", "3", "--seconds", "0.2", "--threads", "1"])
        #expect(r.status == 0, "\(r)")
        let line = try #require(r.outLines.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let min = try #require(object["min"] as? Double), median = try #require(object["median"] as? Double)
        let max = try #require(object["max"] as? Double)
        #expect(object["runs"] as? Int == 3)
        #expect(min > 0 && min <= median && median <= max)
        #expect(object["hashes_per_second"] as? Double == median)
        let refused = try Tool.run("ehx-mine", ["--bench", "--repeat", "0"])
        #expect(refused.status == 64 && refused.err.contains("--repeat"), "\(refused)")
    }
}
