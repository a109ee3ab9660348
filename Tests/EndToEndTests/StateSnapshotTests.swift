import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The chain-state snapshot beside the chain (CHAIN.state) as the tools
/// use it: made once, then only what is new is read; a chain changed behind
/// its back is noticed and the state rebuilt (or refused); a run killed
/// while writing it leaves a whole snapshot; progress only on a terminal.
@Suite struct EndToEndStateSnapshot {
    static func snapshot(_ chain: String) throws -> ChainSnapshot? {
        guard FileManager.default.fileExists(atPath: chain + ".state") else { return nil }
        return try ChainSnapshot.decode(try Files.bytes(chain + ".state"))
    }

    static func size(_ path: String) throws -> Int64 {
        Int64(try Files.bytes(path).count)
    }

    @Test func cronRunsReadOnlyWhatIsNewAndNoticeAnEditedChain() throws {
        let f = try CronFixture.make("state-cron")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...6)
        let first = try Tool.run("ehx-mine", ["--spool", f.spool, "--chain", f.chain, "--key", f.minerKey, "--max-txs", "4"])
        #expect(first.status == 0, "\(first)")
        #expect(!first.err.contains("snapshot"), "a first run builds it silently: \(first.err)")
        let saved = try #require(try Self.snapshot(f.chain))
        #expect(saved.binding.chainBytes == (try Self.size(f.chain)), "the snapshot covers the whole chain after the run")
        #expect(saved.state.height == 2)

        // A no-op run: the snapshot is current, nothing is rebuilt.
        let idle = try Tool.run("ehx-mine", ["--spool", f.spool, "--chain", f.chain, "--key", f.minerKey])
        #expect(idle.status == 0 && !idle.err.contains("snapshot"), "\(idle)")

        // Blocks appended by another path (stdin) are read, then saved.
        let more = try ChainFixture.check(Tool.run("ehx-sign", ["--key", f.gatewayKey], stdin: .data(CronFixture.readings(device: "bed2", seqs: 1...3))))
        let streamed = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey], stdin: .data(more.stdout))
        #expect(streamed.status == 0 && !streamed.err.contains("snapshot"), "\(streamed)")
        #expect(try Self.snapshot(f.chain)?.state.height == 3)

        // The last block edited in place: detected, rebuilt from the chain,
        // which now fails; nothing is mined on it.
        var lines = try Files.lines(f.chain)
        let edited = String(decoding: lines[3], as: UTF8.self).replacingOccurrences(of: "\"seq\":3", with: "\"seq\":9")
        #expect(edited.utf8.count == lines[3].count)
        lines[3] = Array(edited.utf8)
        let good = try Files.bytes(f.chain)
        try Files.writeLines(f.chain, lines)
        _ = try f.sign(device: "bed1", seqs: 7...7)
        let refused = try Tool.run("ehx-mine", ["--spool", f.spool, "--chain", f.chain, "--key", f.minerKey, "-q"])
        #expect(refused.status == 65, "\(refused)")
        #expect(refused.err.contains("not used") && refused.err.contains("edited, replaced or forked"), "even with -q: \(refused.err)")
        #expect(try Files.lines(f.chain) == lines, "nothing appended to an edited chain")

        // Cut back by one block: said, rebuilt, and mining goes on.
        try Files.write(f.chain, good)
        try Files.writeLines(f.chain, Array(try Files.lines(f.chain).prefix(3)))
        let cut = try Tool.run("ehx-mine", ["--spool", f.spool, "--chain", f.chain, "--key", f.minerKey])
        #expect(cut.status == 0, "\(cut)")
        #expect(cut.err.contains("shorter"), "\(cut.err)")
        #expect(try f.verify().status == 0)
        #expect(try Self.snapshot(f.chain)?.binding.chainBytes == (try Self.size(f.chain)))
    }

    @Test func aRunKilledWhileWritingTheSnapshotLeavesOldOrNew() throws {
        let f = try CronFixture.make("state-kill")
        defer { f.dir.remove() }
        var generator = SystemRandomNumberGenerator()
        var seq = 1
        for round in 0..<12 {
            _ = try f.sign(device: "bed1", seqs: seq...(seq + 2))
            seq += 3
            let running = try f.startMine()
            usleep(UInt32.random(in: 0...UInt32(40_000 + round * 10_000), using: &generator))
            running.kill(SIGKILL)
            _ = running.wait()
            if let snapshot = try Self.snapshot(f.chain) {
                #expect(snapshot.binding.chainBytes <= (try Self.size(f.chain)), "a snapshot of the chain or a prefix of it")
            }
        }
        let last = try f.mine()
        #expect(last.status == 0, "\(last)")
        #expect(f.spoolEntries().isEmpty)
        let counts = try f.chainTxids()
        #expect(counts.count == seq - 1 && counts.values.allSatisfy { $0 == 1 })
        #expect(try Self.snapshot(f.chain)?.binding.chainBytes == (try Self.size(f.chain)))
        #expect(try f.verify().status == 0)
    }

    /// Runs `command` with stdout and stderr on a pseudo-terminal; returns
    /// what it printed. Skips when python3 is missing.
    static func underTerminal(_ command: [String]) throws -> String? {
        guard Tool.hasCommand("python3") else { return nil }
        let script = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp(sys.argv[1], sys.argv[1:])
            out = b""
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            """
        let bin = try Tool.path("ehx-verify")
        let full = [URL(fileURLWithPath: bin).deletingLastPathComponent().appendingPathComponent(command[0]).path] + command.dropFirst()
        let r = try Tool.run("/usr/bin/env", ["python3", "-c", script] + full)
        return r.out
    }

    @Test func progressShowsOnlyOnATerminal() throws {
        let dir = try Scratch("state-progress")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 200)
        guard let shown = try Self.underTerminal(["ehx-verify", f.chain]) else { return }
        #expect(shown.contains("ehx-verify: checking: ") && shown.contains("done."), "\(shown)")
        let quiet = try #require(try Self.underTerminal(["ehx-verify", "-q", f.chain]))
        #expect(!quiet.contains("checking:"), "\(quiet)")
        let piped = try Tool.run("ehx-verify", [f.chain])
        #expect(piped.status == 0 && !piped.err.contains("checking:") && !piped.err.contains("\r"), "\(piped)")
        let index = try #require(try Self.underTerminal(["ehx-query", "--chain", f.chain, "index"]))
        #expect(index.contains("ehx-query: indexing: ") && index.contains("done."), "\(index)")
        try FileManager.default.removeItem(atPath: f.chain + ".state")
        let rebuild = try #require(try Self.underTerminal(["ehx-mine", "--chain", f.chain, "--key", f.minerKey, "/dev/null"]))
        #expect(rebuild.contains("ehx-mine: building the state: ") && rebuild.contains("done."), "\(rebuild)")
        // A chmod moves the file's ctime: the snapshot's lines are hashed again, shown as they are.
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: f.chain)[.posixPermissions] as? Int)
        try FileManager.default.setAttributes([.posixPermissions: mode ^ 0o004], ofItemAtPath: f.chain)
        let rehash = try #require(try Self.underTerminal(["ehx-mine", "--chain", f.chain, "--key", f.minerKey, "/dev/null"]))
        #expect(rehash.contains("ehx-mine: checking the chain's lines against the snapshot: ") && rehash.contains("done."), "\(rehash)")
        #expect(!rehash.contains("building the state"), "\(rehash)")
    }

    @Test func reportAndFHIRAnswerThroughTheIndexAsAScanDoes() throws {
        let dir = try Scratch("state-index")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 400)
        let fhirArgs = ["--chain", f.chain, "fhir", "--patient", "P-0002"]
        let reportArgs = ["--chain", f.chain, "report", "--patient", "P-0002", "-o", "-"]
        let fhirScan = try ChainFixture.check(Tool.run("ehx-query", fhirArgs))
        let reportScan = try ChainFixture.check(Tool.run("ehx-query", reportArgs))
        try ChainFixture.check(Tool.run("ehx-query", ["--chain", f.chain, "index", "-q"]))
        let fhirIndexed = try ChainFixture.check(Tool.run("ehx-query", fhirArgs))
        let reportIndexed = try ChainFixture.check(Tool.run("ehx-query", reportArgs))
        #expect(fhirIndexed.stdout == fhirScan.stdout && fhirIndexed.err == fhirScan.err)
        #expect(reportIndexed.stdout == reportScan.stdout && reportIndexed.err == reportScan.err)
        #expect(fhirScan.out.contains("Observation"))

        // The same transactions and blocks, and the index did answer.
        let filter = try TxFilter(type: nil, device: nil, patient: "P-0002", since: nil, until: nil)
        var viaIndex: [String] = [], viaScan: [String] = []
        let quiet = Diagnostics(tool: "test", quiet: true)
        let a = try TxSource.forEachMatch(chain: f.chain, filter: filter, index: nil,
                                          diagnostics: quiet) { (found: IndexedTransaction) throws(ToolError) in
            viaIndex.append("\(try found.txid()) \(found.height) \(found.blockHash)")
        }
        let b = try TxSource.forEachMatch(chain: f.chain, filter: filter, index: nil, useIndex: false,
                                          diagnostics: quiet) { (found: IndexedTransaction) throws(ToolError) in
            viaScan.append("\(try found.txid()) \(found.height) \(found.blockHash)")
        }
        #expect(a.origin == .index && b.origin == .scan)
        #expect(!viaIndex.isEmpty && viaIndex == viaScan && a.tip == b.tip)
    }
}
