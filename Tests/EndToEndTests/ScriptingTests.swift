import Foundation
import Testing
import EHXShared
#if canImport(Glibc)
import Glibc
#endif

/// What scripts and cron jobs rely on (issue 18): ids to join on, option
/// errors that name the real mistake, quiet 75s, and output that is on disk
/// as soon as its block is.
@Suite struct EndToEndScripting {
    // MARK: - Getting ids

    @Test func txsLinesCarryTxidAndHeight() throws {
        let dir = try Scratch("script-txid")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 40, maxTxs: 20)
        let lines = try f.query(["txs", "--type", "reading"]).outLines
        #expect(!lines.isEmpty)
        let raw = try f.query(["txs", "--type", "reading", "--raw"]).outLines
        #expect(raw.count == lines.count)
        for (line, bare) in zip(lines, raw) {
            let object = try JSONLine.object(line)
            let tx = try Transaction(parsing: try JSONValue.parse(Array(bare.utf8)))
            #expect(object["txid"] as? String == tx.txid.hex, "\(line)")
            #expect((object["height"] as? Int ?? 0) >= 1, "\(line)")
            // Cutting the two members in front gives the chain's bytes.
            let prefix = #"{"height":\#(object["height"] as? Int ?? -1),"txid":"\#(tx.txid.hex)","#
            #expect(line.hasPrefix(prefix) && "{" + line.dropFirst(prefix.count) == bare)
        }
        // The index gives the same lines as a scan.
        _ = try f.query(["index"])
        #expect(try f.query(["txs", "--type", "reading"]).outLines == lines)
        #expect(try f.query(["txs", "--type", "reading", "--no-index"]).outLines == lines)
    }

    @Test func queryTxShowsOneTransaction() throws {
        let dir = try Scratch("script-tx")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 40, maxTxs: 20)
        let lines = try f.query(["txs", "--type", "reading"]).outLines
        let wanted = try #require(lines.dropFirst(3).first)
        let txid = try #require(try JSONLine.object(wanted)["txid"] as? String)
        #expect(try f.query(["tx", txid]).outLines == [wanted])
        _ = try f.query(["index"])
        #expect(try f.query(["tx", txid]).outLines == [wanted], "through the index")
        let missing = try Tool.run("ehx-query", ["--chain", f.chain, "tx", String(repeating: "0", count: 64)])
        #expect(missing.status == 66 && missing.stdout.isEmpty, "\(missing)")
        let bad = try Tool.run("ehx-query", ["--chain", f.chain, "tx", "xyz"])
        #expect(bad.status == 64, "\(bad)")
    }

    @Test func keygenIdMapsAnIdBackToItsFile() throws {
        let dir = try Scratch("script-keyid")
        defer { dir.remove() }
        let made = try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "clinician", "--enc", "-o", dir.path("doc")]))
        let line = try JSONLine.object(made.out)
        let files = ["doc.pub", "doc.key", "doc.enc.pub", "doc.enc.key"].map(dir.path)
        let result = try ChainFixture.check(Tool.run("ehx-keygen", ["id"] + files))
        let ids = try result.outLines.map { try JSONLine.object($0) }
        #expect(ids.count == 4, "\(result)")
        #expect(ids.map { $0["file"] as? String } == files)
        #expect(ids[0]["id"] as? String == line["id"] as? String && ids[1]["id"] as? String == line["id"] as? String)
        #expect(ids[0]["private"] as? Bool == false && ids[1]["private"] as? Bool == true)
        #expect(ids[2]["algorithm"] as? String == "x25519" && ids[2]["key"] as? String == line["enc"] as? String)
        #expect(ids[3]["id"] as? String == ids[2]["id"] as? String)
        // Not a key: 65, named.
        try Files.write(dir.path("junk"), Array("hello\n".utf8))
        let junk = try Tool.run("ehx-keygen", ["id", dir.path("junk")])
        #expect(junk.status == 65 && junk.err.contains("junk"), "\(junk)")
    }

    // MARK: - Options

    @Test(arguments: [
        ("ehx-verify", ["--expect-tipp", "H", "chain.jsonl"], "--expect-tipp"),
        ("ehx-ingest", ["--frobnicate"], "--frobnicate"),
        ("ehx-sign", ["--kee", "x.key"], "--kee"),
        ("ehx-mine", ["--chian", "c"], "--chian"),
        ("ehx-query", ["txs", "--key", "k", "--format", "csv", "--bogus"], "--bogus"),
    ])
    func unknownOptionsAreReportedFirst(tool: String, arguments: [String], option: String) throws {
        let result = try Tool.run(tool, arguments)
        #expect(result.status == 64, "\(result)")
        #expect(result.err.contains("Unknown option '\(option)'"), "\(result)")
    }

    @Test func optionsGoBeforeOrAfterTheSubcommand() throws {
        let dir = try Scratch("script-order")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 40, maxTxs: 20)
        let after = try f.query(["txs", "--type", "alert"]).stdout
        let before = try ChainFixture.check(Tool.run("ehx-query", ["--type", "alert", "txs", "--chain", f.chain])).stdout
        let chainAfter = try ChainFixture.check(Tool.run("ehx-query", ["txs", "--chain", f.chain, "--type", "alert"])).stdout
        #expect(before == after && chainAfter == after)
        let made = try Tool.run("ehx-keygen", ["--role", "miner", "-o", dir.path("m2"), "key"])
        #expect(made.status == 0 && FileManager.default.fileExists(atPath: dir.path("m2.key")), "\(made)")
        // A real mistake is still reported as one.
        let wrong = try Tool.run("ehx-query", ["--nope", "txs", "--chain", f.chain])
        #expect(wrong.status == 64 && wrong.err.contains("--nope"), "\(wrong)")
    }

    /// The README's exit table (For scripts) lists every status a tool can
    /// exit with; 2 (a proof no anchor vouches for) was missing.
    @Test func readmeExitTableListsEveryStatus() throws {
        let readme = try String(contentsOfFile: Package.root.appendingPathComponent("README.md").path, encoding: .utf8)
        let table = try #require(readme.components(separatedBy: "Exit statuses (sysexits), the same in every tool:").last)
        for status in Sysexits.allCases {
            #expect(table.contains("\n| \(status.rawValue) | "), "exit \(status.rawValue) (\(status)) is not in the README's exit table")
        }
    }

    /// `-q` leaves only errors in every tool, ehx-query's notes included,
    /// before or after the subcommand's name.
    @Test func queryQuietLeavesOnlyErrors() throws {
        let dir = try Scratch("script-query-quiet")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 40, maxTxs: 20)
        let patient = try #require(try f.query(["txs", "--type", "reading"]).outLines.first.flatMap { try JSONLine.object($0)["body"] as? [String: Any] }?["patient"] as? String)
        let loud = try Tool.run("ehx-query", ["--chain", f.chain, "report", "--patient", patient, "-o", dir.path("r.html")])
        #expect(loud.status == 0 && loud.err.contains("r.html:"), "\(loud)")
        for arguments in [["-q", "--chain", f.chain, "report", "--patient", patient, "-o", dir.path("r.html")],
                          ["--chain", f.chain, "fhir", "--quiet"], ["--chain", f.chain, "txs", "-q"]] {
            let quiet = try Tool.run("ehx-query", arguments)
            #expect(quiet.status == 0 && quiet.err.isEmpty, "\(arguments): \(quiet)")
        }
    }

    @Test(arguments: [["--json"], ["--summary"], ["--report", "r.html"]])
    func proofRefusesOutputsItCannotGive(extra: [String]) throws {
        let dir = try Scratch("script-proof")
        defer { dir.remove() }
        let result = try Tool.run("ehx-verify", ["--proof", dir.path("p.proof")] + extra)
        #expect(result.status == 64 && result.err.contains("--proof"), "\(result)")
    }

    // MARK: - Cron

    @Test func quietSilencesTheLockHeld75() throws {
        let dir = try Scratch("script-quiet75")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 10, mine: false)
        let fd = open(f.chain, O_RDWR | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(flock(fd, LOCK_EX) == 0)
        let quiet = try Tool.run("ehx-mine", ["-q", "--chain", f.chain, "--key", f.minerKey, f.txs], timeout: 30)
        #expect(quiet.status == 75 && quiet.stderr.isEmpty, "\(quiet)")
        let loud = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, f.txs], timeout: 30)
        #expect(loud.status == 75 && loud.err.contains("locked"), "\(loud)")
    }

    @Test func quietSilencesTheDeadline75() throws {
        let dir = try Scratch("script-deadline")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 10, mine: false)
        let spool = dir.path("spool")
        _ = try ChainFixture.check(Tool.run("ehx-sign", ["--key", f.gatewayKey, "--spool", spool, f.accepted]))
        let quiet = try Tool.run("ehx-mine", ["-q", "--spool", spool, "--chain", f.chain, "--key", f.minerKey,
                                              "--deadline", "0.001"], timeout: 60)
        #expect(quiet.status == 75 && quiet.stderr.isEmpty, "\(quiet)")
        let loud = try Tool.run("ehx-mine", ["--spool", spool, "--chain", f.chain, "--key", f.minerKey, "--deadline", "0.001"], timeout: 60)
        #expect(loud.status == 75 && loud.err.contains("--deadline reached"), "\(loud)")
    }

    @Test func mineFlushesEachBlockLine() throws {
        let dir = try Scratch("script-flush")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 300, mine: false)
        let blocksBefore = try f.chainLines().count
        let miner = try Tool.start("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "1", "-q", f.txs])
        var waited = 0
        while (try f.chainLines().count) < blocksBefore + 6 && waited < 600 { usleep(20_000); waited += 1 }
        miner.kill(SIGKILL)
        let result = miner.wait(timeout: 30)
        let appended = try f.chainLines().count - blocksBefore
        try #require(appended >= 6, "the miner appended \(appended) blocks before the kill")
        // Killed between an append and its line, at most one line is missing.
        #expect(result.outLines.count >= appended - 1, "\(result.outLines.count) lines for \(appended) blocks appended")
    }
}

/// The consistency items of issue 18: plurals, one form of cumulative work,
/// one wording for file errors, the man page, completions.
@Suite struct EndToEndConsistency {
    @Test func pluralsAndWorkAreConsistent() throws {
        let dir = try Scratch("consistency")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 10, mine: false)
        let verify = try Tool.run("ehx-verify", ["--genesis", f.genesisHash, f.chain])
        #expect(verify.status == 0 && verify.err.contains("1 block, 1 transaction,"), "\(verify)")
        let summary = try JSONLine.object(try #require(try Tool.run("ehx-verify", ["--json", "--summary", f.chain]).outLines.last))
        let tip = try JSONLine.object(try f.query(["tip"]).out)
        let work = try #require((summary["summary"] as? [String: Any])?["work"] as? String)
        #expect(work.count == 64 && work == tip["work"] as? String, "\(work) vs \(tip)")
    }

    @Test func fileErrorsHaveOneWording() throws {
        let dir = try Scratch("wording")
        defer { dir.remove() }
        let missing = dir.path("missing")
        let expected = "\(missing): cannot read: no such file or directory"
        for (tool, arguments) in [("ehx-verify", [missing]), ("ehx-sign", ["--key", missing]), ("ehx-query", ["--chain", missing, "tip"]),
                                  ("ehx-ingest", ["--psk", missing]), ("ehx-mine", ["--chain", missing, "--key", missing])] {
            let result = try Tool.run(tool, arguments, stdin: .data(Data("{}\n".utf8)))
            #expect(result.status == 66 && result.err.contains(expected), "\(tool): \(result)")
        }
    }

    @Test func manPagesKeepTheirIndentationAndTipFields() throws {
        let man = Package.root.appendingPathComponent("man")
        for tool in Tool.names {
            let page = try String(contentsOf: man.appendingPathComponent("\(tool).1"), encoding: .utf8)
            #expect(!page.contains(".Bl -tag -width Ds\n.El"), "\(tool).1 has an empty list, which ends the indentation")
        }
        let dir = try Scratch("man-tip")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 5, mine: false)
        let keys = try JSONLine.object(try f.query(["tip"]).out).keys.sorted()
        let source = try String(contentsOf: man.appendingPathComponent("src/ehx-query.mdoc"), encoding: .utf8)
        let listed = "{" + keys.map { "\"\($0)\"" }.joined(separator: ",") + "}"
        #expect(source.contains(".Cm tip\nprints\n.Li \(listed)"), "tip prints \(listed)")
    }

    @Test func completionsOfferFilesAndValueLists() throws {
        let bash = try ChainFixture.check(Tool.run("ehx-query", ["--generate-completion-script", "bash"])).out
        #expect(bash.contains("'jsonl'$'\\n''csv'$'\\n''table'"), "--format")
        #expect(bash.contains("'genesis'$'\\n''key'$'\\n''policy'"), "--type")
        #expect(bash.contains("_add_completions -f"), "files")
        let keygen = try ChainFixture.check(Tool.run("ehx-keygen", ["--generate-completion-script", "zsh"])).out
        #expect(keygen.contains("'authority' 'gateway' 'device'"), "--role")
        let ingest = try ChainFixture.check(Tool.run("ehx-ingest", ["--generate-completion-script", "fish"])).out
        #expect(ingest.contains("-l 'psk'") && ingest.contains("-rF"), "--psk completes files")
    }
}
