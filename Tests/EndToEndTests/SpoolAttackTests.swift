import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16, item 1: an attacker who can write the spool (the signers'
/// account) or a directory a tool writes into plants symlinks; the tools,
/// often run as root from cron, must not follow them.
@Suite struct EndToEndSpoolAttacks {
    /// A transaction the miner refuses for an unknown member whose name is a
    /// shell command: what the attacker wants echoed into a start-up file.
    static func hostileEntry(_ f: CronFixture) throws -> [UInt8] {
        let signed = try ChainFixture.check(Tool.run("ehx-sign", ["--key", f.gatewayKey, "-q"],
                                                     stdin: .data(CronFixture.readings(device: "bed9", seqs: 1...1))))
        let line = try #require(signed.outLines.first)
        return Array(("{\"$(touch /tmp/ehx-pwned)\":1," + line.dropFirst() + "\n").utf8)
    }

    static func symlink(_ target: String, at path: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    @Test func aReasonFileLinkedToTheChainIsNotFollowed() throws {
        let f = try CronFixture.make("attack-reason")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...2)
        #expect(try f.mine().status == 0)
        let name = "9999999999.000000.1.1.hostile"
        try Files.write(f.spool + "/new/" + name, try Self.hostileEntry(f))
        try FileManager.default.createDirectory(atPath: f.spool + "/rejected", withIntermediateDirectories: true)
        try Self.symlink(f.chain, at: f.spool + "/rejected/" + name + ".reason")
        let chain = try Files.bytes(f.chain)
        let r = try f.mine()
        #expect(r.status == 65, "\(r)")
        #expect(try Files.bytes(f.chain) == chain, "the chain was written through the planted link")
        #expect(try f.verify().status == 0)
        let reasonPath = f.spool + "/rejected/" + name + ".reason"
        #expect(!Self.isSymlink(reasonPath))
        let reason = try String(contentsOfFile: reasonPath, encoding: .utf8)
        #expect(reason.contains("unknown field"), "\(reason)")
        #expect(!reason.contains("$(") && !reason.contains("`"), "input echoed unescaped: \(reason)")
        #expect(!r.err.contains("$("), "input echoed unescaped on stderr: \(r.err)")
    }

    @Test func aRejectedDirectoryLinkedToTheChainsDirectoryIsRefused() throws {
        let f = try CronFixture.make("attack-rejected-dir")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...2)
        #expect(try f.mine().status == 0)
        // Named like the chain: moving it to rejected/ would replace the chain.
        try Files.write(f.spool + "/new/chain.jsonl", try Self.hostileEntry(f))
        try Self.symlink(f.dir.path(""), at: f.spool + "/rejected")
        let chain = try Files.bytes(f.chain)
        let r = try f.mine()
        #expect(r.status != 0, "\(r)")
        #expect(try Files.bytes(f.chain) == chain, "the chain was replaced through rejected/")
        #expect(!FileManager.default.fileExists(atPath: f.dir.path("chain.jsonl.reason")))
        #expect(try f.verify().status == 0)
    }

    @Test func aTmpDirectoryLinkedElsewhereIsNotCleaned() throws {
        let f = try CronFixture.make("attack-tmp")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...2)
        let victims = f.dir.path("victims")
        try FileManager.default.createDirectory(atPath: victims, withIntermediateDirectories: true)
        try Files.write(victims + "/old-config", Array("keep me\n".utf8))
        // Older than the miner's 36 hours.
        var times = [timespec(tv_sec: time(nil) - 40 * 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 40 * 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, victims + "/old-config", &times, 0) == 0)
        try FileManager.default.removeItem(atPath: f.spool + "/tmp")
        try Self.symlink(victims, at: f.spool + "/tmp")
        let r = try f.mine()
        #expect(FileManager.default.fileExists(atPath: victims + "/old-config"), "the miner cleaned a directory tmp/ links to: \(r)")
    }

    @Test func aNewDirectoryLinkedElsewhereIsRefusedByWriterAndMiner() throws {
        let f = try CronFixture.make("attack-new")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...1)
        let elsewhere = f.dir.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: f.spool + "/new")
        try Self.symlink(elsewhere, at: f.spool + "/new")
        let sign = try Tool.run("ehx-sign", ["--key", f.gatewayKey, "--spool", f.spool, "-q"],
                                stdin: .data(CronFixture.readings(device: "bed1", seqs: 2...2)))
        #expect(sign.status != 0, "\(sign)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty, "a transaction was renamed through the link")
        let mine = try f.mine()
        #expect(mine.status != 0, "\(mine)")
        #expect(mine.err.contains("new"), "\(mine)")
    }

    @Test func aSpoolOwnedByAnotherUserIsRefusedUnlessAllowed() throws {
        guard geteuid() == 0 else { return } // needs chown
        let f = try CronFixture.make("attack-owner")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...2)
        for sub in ["", "/tmp", "/new"] { #expect(chown(f.spool + sub, 65534, 65534) == 0) }
        let refused = try f.mine()
        #expect(refused.status == 77, "\(refused)")
        #expect(refused.err.contains("owned by"), "\(refused)")
        #expect(f.spoolEntries().count == 2)
        let signRefused = try Tool.run("ehx-sign", ["--key", f.gatewayKey, "--spool", f.spool, "-q"],
                                       stdin: .data(CronFixture.readings(device: "bed1", seqs: 3...3)))
        #expect(signRefused.status == 77, "\(signRefused)")
        let allowed = try f.mine(["--allow-foreign-owner"])
        #expect(allowed.status == 0, "\(allowed)")
        #expect(f.spoolEntries().isEmpty)
    }

    /// --rejects, --alerts, the state file and its lock, and the audit spool.
    @Test func outputFilesLinkedToAVictimAreNotFollowed() throws {
        let dir = try Scratch("attack-outputs")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 20)
        let victim = dir.path("victim")
        try Files.write(victim, Array("precious\n".utf8))
        try Files.write(dir.path("bad.jsonl"), Array("not json\n".utf8))
        try Files.write(dir.path("mixed.jsonl"), try Files.bytes(f.readings) + Array("not json\n".utf8))
        for (option, name) in [("--rejects", "rejects-link"), ("--alerts", "alerts-link")] {
            try Self.symlink(victim, at: dir.path(name))
            let r = try Tool.run("ehx-ingest", ["--psk", f.psk, option, dir.path(name), dir.path("mixed.jsonl")])
            #expect(r.status == 73, "\(option): \(r)")
            #expect(try Files.bytes(victim) == Array("precious\n".utf8), "\(option) wrote through a symlink")
        }
        let signRejects = dir.path("sign-rejects-link")
        try Self.symlink(victim, at: signRejects)
        let sign = try Tool.run("ehx-sign", ["--key", f.gatewayKey, "--rejects", signRejects, dir.path("bad.jsonl")])
        #expect(sign.status == 73, "\(sign)")
        #expect(try Files.bytes(victim) == Array("precious\n".utf8))
        // The state's lock: O_CREAT through a dangling link creates the target.
        let planted = dir.path("planted-by-lock")
        try Self.symlink(planted, at: dir.path("state.json.lock"))
        let ingest = try Tool.run("ehx-ingest", ["--psk", f.psk, "--state", dir.path("state.json"), f.readings])
        #expect(ingest.status == 73, "\(ingest)")
        #expect(!FileManager.default.fileExists(atPath: planted), "the state lock was created through a link")
    }
}
