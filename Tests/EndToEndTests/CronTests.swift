import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Keys and a genesis made by the tools, plus helpers for a spool.
struct CronFixture: @unchecked Sendable {
    let dir: Scratch
    let chain: String
    let spool: String
    let genesisHash: String
    let genesisLine: [String: Any]

    var gatewayKey: String { dir.path("gateway.key") }
    var minerKey: String { dir.path("miner.key") }

    static func make(_ label: String, genesis extra: [String] = ["--bits", "1f00ffff"]) throws -> CronFixture {
        let dir = try Scratch(label)
        for role in ["authority", "gateway", "miner"] {
            try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", role, "-o", dir.path(role)]))
        }
        let g = try ChainFixture.check(Tool.run("ehx-keygen", ["genesis", "--authority", dir.path("authority.key"),
            "--grant", "gateway=" + dir.path("gateway.pub"), "--grant", "miner=" + dir.path("miner.pub"),
            "--bind", dir.path("gateway.pub") + "=" + Self.devices.joined(separator: ","),
            "-o", dir.path("chain.jsonl")] + extra))
        let line = try JSONLine.object(g.out)
        return CronFixture(dir: dir, chain: dir.path("chain.jsonl"), spool: dir.path("spool"),
                           genesisHash: line["genesis"] as? String ?? "", genesisLine: line)
    }

    /// The devices the gateway is bound to (rules 2): those the tests sign for.
    static let devices = ["bed1", "bed2"] + (0..<16).map { "kill-\($0)" } + (0..<16).map { "race-\($0)" }

    /// Reading bodies for one device, seqs in order.
    static func readings(device: String, seqs: ClosedRange<Int>) -> Data {
        Data(seqs.map { seq in
            #"{"device":"\#(device)","patient":"P-1","seq":\#(seq),"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":\#(60 + seq % 40),"unit":"/min"}"# + "\n"
        }.joined().utf8)
    }

    /// Signs into the spool; returns the txids ehx-sign reported.
    func sign(device: String, seqs: ClosedRange<Int>) throws -> [String] {
        let r = try ChainFixture.check(Tool.run("ehx-sign", ["--key", gatewayKey, "--spool", spool, "-q"],
                                                stdin: .data(Self.readings(device: device, seqs: seqs))))
        return try r.outLines.map { try JSONLine.object($0)["txid"] as? String ?? "" }
    }

    func mine(_ extra: [String] = []) throws -> ToolResult {
        try Tool.run("ehx-mine", ["--spool", spool, "--chain", chain, "--key", minerKey, "-q"] + extra)
    }

    func startMine(_ extra: [String] = []) throws -> RunningTool {
        try Tool.start("ehx-mine", ["--spool", spool, "--chain", chain, "--key", minerKey, "-q"] + extra)
    }

    func spoolEntries(_ sub: String = "new") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool + "/" + sub)) ?? []).sorted()
    }

    /// txid → how many times it is on the chain (stamps and genesis left out).
    func chainTxids() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        try ChainReader.forEachBlock(path: chain) { (_, block, _) throws(ToolError) in
            for tx in block.txs where tx.type != .stamp && tx.type != .genesis { counts[tx.txid.hex, default: 0] += 1 }
        }
        return counts
    }

    func verify() throws -> ToolResult {
        try Tool.run("ehx-verify", ["--genesis", genesisHash, chain])
    }
}

/// Thread-safe collection for the writer threads.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    private var failures: [String] = []

    func add(_ new: [String]) { lock.lock(); items += new; lock.unlock() }
    func fail(_ text: String) { lock.lock(); failures.append(text); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
    var errors: [String] { lock.lock(); defer { lock.unlock() }; return failures }
}

@Suite struct EndToEndCron {
    @Test func spoolMinesEveryEntryOnceAndRetiresIt() throws {
        let f = try CronFixture.make("cron-basic")
        defer { f.dir.remove() }
        let txids = try f.sign(device: "bed1", seqs: 1...25) + f.sign(device: "bed2", seqs: 1...5)
        #expect(f.spoolEntries().count == 30)
        let r = try f.mine(["--max-txs", "8"])
        #expect(r.status == 0, "\(r)")
        #expect(r.outLines.count == 4, "30 transactions, 8 a block")
        #expect(f.spoolEntries().isEmpty)
        #expect(try f.verify().status == 0)
        let counts = try f.chainTxids()
        #expect(Set(counts.keys) == Set(txids) && counts.values.allSatisfy { $0 == 1 })
        // Nothing waiting: no block (--min-txs 1), exit 0; --min-txs 0 mines an empty one.
        let idle = try f.mine()
        #expect(idle.status == 0 && idle.outLines.isEmpty, "\(idle)")
        let empty = try f.mine(["--min-txs", "0"])
        #expect(empty.status == 0 && empty.outLines.count == 1, "\(empty)")
    }

    @Test func minTxsWaitsAndInvalidEntriesAreRejectedWithAReason() throws {
        let f = try CronFixture.make("cron-reject")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...3)
        let few = try f.mine(["--min-txs", "5"])
        #expect(few.status == 0 && few.outLines.isEmpty, "\(few)")
        #expect(f.spoolEntries().count == 3, "too few: left in the spool")
        try Files.write(f.spool + "/new/9999999999.000000.1.1.garbage", Array("not json\n".utf8))
        _ = try f.sign(device: "bed1", seqs: 2...2) // a replay of seq 2 (another txid)
        let r = try f.mine()
        #expect(r.status == 65, "\(r)")
        #expect(f.spoolEntries().isEmpty)
        let rejected = f.spoolEntries("rejected")
        #expect(rejected.count == 4, "\(rejected)")
        let reasons = try rejected.filter { $0.hasSuffix(".reason") }.map { try String(contentsOfFile: f.spool + "/rejected/" + $0, encoding: .utf8) }
        #expect(reasons.contains { $0.contains("replay") } && reasons.contains { $0.contains("JSON") }, "\(reasons)")
        #expect(try f.verify().status == 0)
    }

    @Test func anEntryAlreadyOnTheChainIsRetiredNotMinedTwice() throws {
        let f = try CronFixture.make("cron-dup")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...4)
        let saved = f.spoolEntries().map { ($0, try? Data(contentsOf: URL(fileURLWithPath: f.spool + "/new/" + $0))) }
        #expect(try f.mine().status == 0)
        // As if the run had been killed after the append, before retiring.
        for (name, data) in saved { try data?.write(to: URL(fileURLWithPath: f.spool + "/new/" + name)) }
        let again = try f.mine()
        #expect(again.status == 0 && again.outLines.isEmpty, "\(again)")
        #expect(f.spoolEntries().isEmpty)
        #expect(try f.chainTxids().values.allSatisfy { $0 == 1 })
        #expect(try f.verify().status == 0)
    }

    @Test func deadlineGivesUpCleanly() throws {
        let f = try CronFixture.make("cron-deadline", genesis: ["--bits", "1e0fffff"])
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...5)
        let before = try Files.bytes(f.chain)
        let start = Date()
        let r = try f.mine(["--deadline", "0.001", "--threads", "1"])
        #expect(r.status == 75, "\(r)")
        // -q: a 75 is "try again later", not an error cron should mail.
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(try Files.bytes(f.chain) == before)
        #expect(f.spoolEntries().count == 5)
    }

    @Test func aSecondMinerExits75OrWaits() throws {
        let f = try CronFixture.make("cron-lock")
        defer { f.dir.remove() }
        let txids = try f.sign(device: "bed1", seqs: 1...20)
        // Another holder of the lock: exit 75 at once, spool untouched.
        let fd = open(f.chain, O_RDONLY)
        try #require(fd >= 0 && flock(fd, LOCK_EX) == 0)
        let start = Date()
        let busy = try f.mine()
        #expect(busy.status == 75, "\(busy)")
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(f.spoolEntries().count == 20)
        let waiting = try f.startMine(["--wait"])
        usleep(500_000)
        #expect(waiting.child.isRunning, "--wait blocks while the lock is held")
        flock(fd, LOCK_UN)
        close(fd)
        let waited = waiting.wait(timeout: 60)
        #expect(waited.status == 0, "\(waited)")

        // Two real miners at once on more work: each exits 0 or 75, never both 75 with work left.
        let more = try f.sign(device: "bed1", seqs: 21...80)
        let a = try f.startMine(["--max-txs", "5"])
        let b = try f.startMine(["--max-txs", "5"])
        let ra = a.wait(timeout: 120), rb = b.wait(timeout: 120)
        #expect([ra.status, rb.status].allSatisfy { $0 == 0 || $0 == 75 }, "\(ra)\n\(rb)")
        #expect(ra.status == 0 || rb.status == 0, "\(ra)\n\(rb)")
        let w1 = try f.startMine(["--wait", "--max-txs", "7"]), w2 = try f.startMine(["--wait", "--max-txs", "7"])
        #expect(w1.wait(timeout: 120).status == 0)
        #expect(w2.wait(timeout: 120).status == 0)
        #expect(f.spoolEntries().isEmpty)
        let counts = try f.chainTxids()
        #expect(Set(counts.keys) == Set(txids + more) && counts.values.allSatisfy { $0 == 1 })
        #expect(try f.verify().status == 0)
    }

    @Test func blockSecondsPicksPlausibleBitsAndTipShowsWork() throws {
        let f = try CronFixture.make("cron-bits", genesis: ["--block-seconds", "0.2", "--threads", "1"])
        defer { f.dir.remove() }
        let bitsHex = try #require(f.genesisLine["bits"] as? String)
        let rate = try #require((f.genesisLine["hashes_per_second"] as? NSNumber)?.doubleValue)
        #expect(rate > 1000, "\(f.genesisLine)")
        let bits = try #require(CompactTarget(bitsHex: bitsHex))
        let work = bits.exactWork.doubleValue
        #expect(abs(work - rate * 0.2) / (rate * 0.2) < 0.001 || bitsHex == "207fffff", "\(bitsHex) for \(rate) h/s")
        let tip = try JSONLine.object(try ChainFixture.check(Tool.run("ehx-query", ["--chain", f.chain, "tip"])).out)
        #expect(tip["bits"] as? String == bitsHex)
        #expect(tip["work"] as? String == bits.exactWork.hex(digits: 64))
        #expect(try f.verify().status == 0)
        let both = try Tool.run("ehx-keygen", ["genesis", "--authority", f.dir.path("authority.key"), "--bits", "1f00ffff",
                                               "--block-seconds", "1", "-o", f.dir.path("other.jsonl")])
        #expect(both.status == 64, "\(both)")
    }

    @Test func retargetingChainMinedFromTheSpoolVerifies() throws {
        let f = try CronFixture.make("cron-retarget", genesis: ["--bits", "207fffff", "--retarget-interval", "2", "--target-spacing", "600"])
        defer { f.dir.remove() }
        var txids: [String] = []
        for i in 0..<5 {
            txids += try f.sign(device: "bed1", seqs: (i * 2 + 1)...(i * 2 + 2))
            #expect(try f.mine(["--max-txs", "1"]).status == 0)
        }
        var bits: [String] = []
        for line in try Files.lines(f.chain) {
            bits.append((try JSONLine.object(Data(line))["header"] as? [String: Any])?["bits"] as? String ?? "")
        }
        #expect(bits.count == 11)
        // Blocks seconds apart for a 600 s spacing: the target drops 4x at every even height.
        #expect(bits[0] == "207fffff" && bits[1] == "207fffff" && bits[2] == "201fffff" && bits[4] == "2007ffff", "\(bits)")
        #expect(Set(bits).count > 3)
        #expect(try f.verify().status == 0)
        #expect(Set(try f.chainTxids().keys) == Set(txids))
    }
}

/// ≥ 20 kill -9s of ehx-mine --spool at random moments while signers keep
/// spooling; the chain then verifies and holds every transaction exactly once.
@Suite struct EndToEndCronKillLoop {
    @Test func killedMinersNeverLoseOrRepeatATransaction() throws {
        // 1e0fffff: about 1 M hashes a block, so kills land in the search too.
        let f = try CronFixture.make("cron-kill", genesis: ["--bits", "1e0fffff"])
        defer { f.dir.remove() }
        // Installed before cron starts (ehx-mine refuses a missing spool: 66).
        try FileManager.default.createDirectory(atPath: f.spool + "/new", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: f.spool + "/tmp", withIntermediateDirectories: true)
        let collected = Collected()
        let writers = DispatchGroup()
        for w in 0..<3 {
            writers.enter()
            Thread {
                defer { writers.leave() }
                for chunk in 0..<10 {
                    do {
                        collected.add(try f.sign(device: "kill-\(w)", seqs: (chunk * 8 + 1)...(chunk * 8 + 8)))
                    } catch {
                        collected.fail("\(error)")
                    }
                    usleep(UInt32.random(in: 50_000...250_000))
                }
            }.start()
        }
        var kills = 0
        var finished = 0
        // Until 22 kills: a run that finishes first (nothing waiting) does not count.
        for _ in 0..<100 where kills < 22 {
            let miner = try f.startMine(["--max-txs", "6", "--threads", "2"])
            usleep(UInt32.random(in: 2_000...400_000))
            miner.kill(SIGKILL)
            let r = miner.wait(timeout: 60)
            if r.signaled && r.status == SIGKILL { kills += 1 } else {
                finished += 1
                #expect([0, 75].contains(r.status), "\(r)")
            }
        }
        writers.wait()
        let blocksBefore = try Files.lineCount(f.chain)
        print("kill loop: \(kills) kills, \(finished) runs finished first, \(blocksBefore) blocks before the last run, \(f.spoolEntries().count) entries waiting")
        #expect(collected.errors.isEmpty, "\(collected.errors)")
        #expect(kills >= 20, "\(kills) kills, \(finished) runs finished first")
        let last = try f.mine(["--wait"])
        #expect(last.status == 0, "\(last)")
        #expect(f.spoolEntries().isEmpty)
        #expect(f.spoolEntries("rejected").isEmpty, "\(f.spoolEntries("rejected"))")
        let verified = try f.verify()
        #expect(verified.status == 0, "\(verified)\n\(verified.out.prefix(2000))")
        let spooled = collected.all
        #expect(spooled.count == 3 * 10 * 8)
        let counts = try f.chainTxids()
        #expect(Set(counts.keys) == Set(spooled))
        #expect(counts.values.allSatisfy { $0 == 1 }, "some transaction is on the chain twice")
    }
}
