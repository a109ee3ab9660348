import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two nodes in two directories: `ehx-query blocks --since` piped into
/// `ehx-verify --append`, both ways; forks refused with the fork point and
/// both sides' work, resolved with `--best`; a tampered feed refused.
@Suite struct EndToEndReplication {
    /// A shared prefix mined at node A, copied to node B; the remaining
    /// transactions split in parts for each node to mine.
    struct Nodes {
        let f: ChainFixture
        let a: String
        let b: String
        let parts: [String]

        init(_ dir: Scratch, parts count: Int) throws {
            f = try ChainFixture.make(in: dir, sampleLines: 90, maxTxs: 6, mine: false)
            let txs = try Files.lines(f.txs)
            let share = max(1, txs.count / (count + 1))
            var parts: [String] = []
            for i in 0...count {
                let path = dir.path("part\(i).jsonl")
                try Files.writeLines(path, Array(txs.dropFirst(i * share).prefix(i == count ? Int.max : share)))
                parts.append(path)
            }
            try FileManager.default.createDirectory(atPath: dir.path("a"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir.path("b"), withIntermediateDirectories: true)
            a = dir.path("a/chain.jsonl")
            b = dir.path("b/chain.jsonl")
            self.parts = Array(parts.dropFirst())
            try FileManager.default.copyItem(atPath: f.chain, toPath: a)
            try mine(a, parts[0])
            try FileManager.default.copyItem(atPath: a, toPath: b)
        }

        func mine(_ chain: String, _ txs: String, maxTxs: Int = 6) throws {
            try ChainFixture.check(Tool.run("ehx-mine", ["--chain", chain, "--key", f.minerKey, "--max-txs", String(maxTxs), "-q", txs]))
        }

        func tip(_ chain: String) throws -> String {
            try ChainFixture.check(Tool.run("ehx-query", ["--chain", chain, "tip", "--hash"])).out
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// `to` pulls from `from` through a pipe, as over ssh.
        func pull(into to: String, from: String, since: String? = nil) throws -> ToolResult {
            let mark = try since ?? tip(to)
            return try Tool.shell("ehx-query --chain '\(from)' blocks --since \(mark) | ehx-verify --genesis \(f.genesisHash) --append '\(to)' -")
        }
    }

    @Test func twoNodesSyncBothWaysAndResolveAFork() throws {
        let dir = try Scratch("replicate")
        defer { dir.remove() }
        let n = try Nodes(dir, parts: 4)
        let shared = try n.tip(n.a)

        // Taking turns: A mines, B pulls; B mines, A pulls.
        try n.mine(n.a, n.parts[0])
        var r = try n.pull(into: n.b, from: n.a)
        #expect(r.status == 0, "\(r)")
        #expect(try n.tip(n.b) == n.tip(n.a))
        try n.mine(n.b, n.parts[1])
        r = try n.pull(into: n.a, from: n.b)
        #expect(r.status == 0, "\(r)")
        #expect(try n.tip(n.a) == n.tip(n.b))
        // Pulling again, or from an older mark, appends nothing and succeeds.
        r = try n.pull(into: n.a, from: n.b, since: shared)
        #expect(r.status == 0, "\(r)")
        #expect(r.err.contains("appended 0 blocks"), "\(r)")

        // Both mine on the same tip: a fork. A mines more, so A is heavier.
        let forkTip = try n.tip(n.a)
        let forkHeight = try Files.lineCount(n.a) - 1
        try n.mine(n.a, n.parts[2], maxTxs: 2)
        try n.mine(n.b, n.parts[3])
        let aBefore = try Files.bytes(n.a), bBefore = try Files.bytes(n.b)
        let aBlocks = try Files.lineCount(n.a) - 1 - forkHeight, bBlocks = try Files.lineCount(n.b) - 1 - forkHeight
        #expect(aBlocks > bBlocks, "A must mine more blocks after the fork (\(aBlocks) vs \(bBlocks))")
        r = try n.pull(into: n.a, from: n.b, since: forkTip)
        #expect(r.status == 1, "\(r)")
        #expect(r.out.contains("fork: competing branch forks after block \(forkHeight) \(forkTip)"), "\(r.out)")
        #expect(r.out.contains("this chain is heavier"), "\(r.out)")
        r = try n.pull(into: n.b, from: n.a, since: forkTip)
        #expect(r.status == 1, "\(r)")
        #expect(r.out.contains("the incoming branch is heavier"), "\(r.out)")
        #expect(try Files.bytes(n.a) == aBefore && Files.bytes(n.b) == bBefore, "a fork must never be appended")

        // B's sysadmin picks the best chain, renames it into place, and re-mines B's orphaned txs.
        let copyOfA = dir.path("b/from-a.jsonl")
        try FileManager.default.copyItem(atPath: n.a, toPath: copyOfA)
        let best = try Tool.run("ehx-verify", ["--genesis", n.f.genesisHash, "--best", n.b, copyOfA])
        #expect(best.status == 0, "\(best)")
        #expect(best.out == copyOfA + "\n", "\(best)")
        #expect(rename(copyOfA, n.b) == 0)
        try n.mine(n.b, n.parts[3])
        r = try n.pull(into: n.a, from: n.b)
        #expect(r.status == 0, "\(r)")
        #expect(try n.tip(n.a) == n.tip(n.b), "both nodes end on the same tip")
        let verdict = try Tool.run("ehx-verify", ["--genesis", n.f.genesisHash, "--expect-tip", try n.tip(n.b), n.a])
        #expect(verdict.status == 0, "\(verdict)")
    }

    @Test func aTamperedFeedIsRefusedWithNothingAppended() throws {
        let dir = try Scratch("replicate-tamper")
        defer { dir.remove() }
        let n = try Nodes(dir, parts: 1)
        let mark = try n.tip(n.b)
        try n.mine(n.a, n.parts[0])
        var feed = try ChainFixture.check(Tool.run("ehx-query", ["--chain", n.a, "blocks", "--since", mark])).stdout
            .split(separator: 0x0a).map(Array.init)
        #expect(feed.count >= 2)
        let honest = feed
        // A reading's value changed in the first incoming block, written back canonically.
        try ChainFixture.editBlock(&feed, 0) { block in
            guard case .number(let v)? = block.value(at: ["txs", 1, "body", "value"]) else { return block.setting(["txs", 1, "body", "seq"], to: .number(1)) }
            return block.setting(["txs", 1, "body", "value"], to: .number(v > 25 ? v - 1 : v + 0.5))
        }
        let before = try Files.bytes(n.b)
        let r = try Tool.run("ehx-verify", ["--append", n.b, "-"], stdin: .data(Data(Mutator.join(feed))))
        #expect(r.status == 1, "\(r)")
        #expect(r.outLines.first?.hasPrefix("stdin:1: block ") == true, "\(r.out)")
        #expect(r.out.contains(": merkle: ") || r.out.contains(": signature: "), "\(r.out)")
        #expect(r.err.contains("appended 0 blocks"), "\(r)")
        #expect(try Files.bytes(n.b) == before, "nothing may be appended")

        // Tampering the second block: the valid first block is appended, the rest refused.
        var second = honest
        try ChainFixture.editBlock(&second, 1) { $0.setting(["txs", 1, "sig"], to: .string(String(repeating: "A", count: 86))) }
        let r2 = try Tool.run("ehx-verify", ["--append", n.b, "-"], stdin: .data(Data(Mutator.join(second))))
        #expect(r2.status == 1, "\(r2)")
        #expect(r2.outLines.first?.hasPrefix("stdin:2: ") == true, "\(r2.out)")
        #expect(try Files.lineCount(n.b) == before.filter { $0 == 0x0a }.count + 1)
        #expect(try Tool.run("ehx-verify", [n.b]).status == 0)

        // A held lock is status 75.
        let fd = open(n.b, O_RDWR | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(flock(fd, LOCK_EX) == 0)
        let busy = try Tool.run("ehx-verify", ["--append", n.b, "-"], stdin: .data(Data(Mutator.join(honest))))
        #expect(busy.status == 75, "\(busy)")
    }
}
