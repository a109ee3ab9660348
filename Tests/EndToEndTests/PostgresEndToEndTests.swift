import EHXShared
import EHXTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `ehx-query index|txs|fhir|report --db postgres://...` against a real
/// PostgreSQL server each test starts in a temporary directory.
@Suite(.serialized, .enabled(if: PostgresServer.binaries != nil, "\(PostgresServer.missing)"))
struct PostgresEndToEndTests {
    /// ehx-query with a chain path that does not exist: what PostgreSQL
    /// answers, it answers by itself.
    static func away(_ dir: Scratch, _ arguments: [String]) throws -> ToolResult {
        try ChainFixture.check(Tool.run("ehx-query", ["--chain", dir.path("no-chain-here.jsonl")] + arguments))
    }

    @Test func txsFhirAndReportAnswerByteForByteLikeTheChainWithoutIt() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try Scratch("pg-answers")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 300, maxTxs: 40)
        let uri = try server.createDatabase("ehx")
        // A password in the URI (trust authentication ignores it) must never be shown.
        let secret = "hunter2-\(UUID().uuidString.prefix(6))"
        let withPassword = "postgresql://ehx:\(secret)@/ehx?host=\(server.directory)"
        let built = try f.query(["index", "--db", withPassword, "-q"])
        let summary = try JSONLine.object(built.stdout)
        #expect(summary["index"] as? String == "postgresql://ehx@/ehx?host=\(server.directory)")
        #expect(summary["transactions"] as? Int == f.txCount + 1 + (summary["blocks"] as? Int ?? 0) - 1)
        #expect(!built.out.contains(secret) && !built.err.contains(secret))

        let filters: [[String]] = [[], ["--patient", "P-0002"], ["--type", "alert"], ["--device", "bed12-mon", "--since", "2026-11-26T08:05:00Z"],
                                   ["--alerts", "--patient", "P-0001"], ["--until", "2026-11-26T08:03:00Z"], ["--type", "stamp"]]
        for filter in filters {
            let fromPG = try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"] + filter)
            let scanned = try f.query(["txs", "--no-index", "--format", "jsonl"] + filter)
            #expect(fromPG.stdout == scanned.stdout && (!filter.isEmpty || fromPG.outLines.count > f.txCount), "\(filter)")
            #expect(fromPG.err.isEmpty, "\(fromPG.err)")
            let csv = try Self.away(dir, ["txs", "--db", uri, "--format", "csv"] + filter)
            #expect(csv.stdout == (try f.query(["txs", "--no-index", "--format", "csv"] + filter)).stdout)
        }
        for filter in [["--patient", "P-0002"], ["--device", "bed12-mon", "--until", "2026-11-26T08:04:00Z"], []] {
            let fromPG = try Self.away(dir, ["fhir", "--db", uri] + filter)
            let scanned = try f.query(["fhir"] + filter)
            #expect(fromPG.stdout == scanned.stdout && fromPG.stdout.count > 100, "\(filter)")
        }
        let fromPG = try Tool.run("ehx-query", ["--chain", dir.path("no-chain-here.jsonl"), "report", "--db", withPassword,
                                                "--patient", "P-0002", "-o", dir.path("pg.html")])
        #expect(fromPG.status == 0, "\(fromPG)")
        try f.query(["report", "--patient", "P-0002", "-o", dir.path("chain.html")])
        let page = try String(contentsOfFile: dir.path("pg.html"), encoding: .utf8)
        #expect(Self.withoutSource(page) == Self.withoutSource(try String(contentsOfFile: dir.path("chain.html"), encoding: .utf8)))
        #expect(!page.contains(secret) && page.contains("report --db"))
        #expect(page.contains("Built from the PostgreSQL index postgresql://ehx@/ehx?host=\(server.directory)") 
                && page.contains("--checkpoint ") && page.contains(" CHAIN</pre>") && !page.contains("no-chain-here.jsonl</pre><p>This page"))

        // The chain grows: the database answers as of its tip and says the
        // local chain is further along; the next index run reads only the new block.
        for sub in ["tmp", "new"] { try FileManager.default.createDirectory(atPath: dir.path("spool/" + sub), withIntermediateDirectories: true) }
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "-q", "--spool", dir.path("spool"), "--min-txs", "0"]))
        let behind = try f.query(["txs", "--db", uri, "--type", "stamp", "--format", "jsonl"])
        #expect(behind.err.contains("has more blocks"), "\(behind)")
        let stamps = try f.query(["txs", "--no-index", "--type", "stamp", "--format", "jsonl"]).outLines
        #expect(behind.outLines == Array(stamps.dropLast()))
        let updated = try JSONLine.object(f.query(["index", "--db", uri, "-q"]).stdout)
        #expect(updated["blocks"] as? Int == 1 && updated["rebuilt"] as? Bool == false)

        // Errors name the database without its password.
        let missing = try Tool.run("ehx-query", ["--chain", f.chain, "txs", "--db", "postgresql://ehx:\(secret)@/nodb?host=\(server.directory)"])
        #expect(missing.status == 66 && missing.err.contains("nodb") && !missing.err.contains(secret), "\(missing)")
        let down = try Tool.run("ehx-query", ["--chain", f.chain, "txs", "--db", "postgresql:///ehx?host=\(dir.path("no-server"))"])
        #expect(down.status == 75 && down.errLines.count == 1, "\(down)")
        let notIndexed = try Tool.run("ehx-query", ["--chain", f.chain, "txs", "--db", server.uri("postgres")])
        #expect(notIndexed.status == 66 && notIndexed.err.contains("run ehx-query index"), "\(notIndexed)")

        // --emit-sql output, loaded with psql, is the same database.
        let sql = try f.query(["index", "--emit-sql", "--db", dir.path("idx.sqlite")])
        try Files.write(dir.path("dump.sql"), sql.stdout)
        _ = try server.createDatabase("loaded")
        try server.psql("loaded", file: dir.path("dump.sql"))
        for filter in filters {
            #expect(try Self.away(dir, ["txs", "--db", server.uri("loaded"), "--format", "jsonl"] + filter).stdout
                    == (try f.query(["txs", "--no-index", "--format", "jsonl"] + filter)).stdout, "\(filter)")
        }
    }

    /// kill -9 of a loader at any moment leaves the rows and the tip of its
    /// last whole batch; queries running meanwhile each see one committed
    /// batch boundary (a prefix of the chain's answer); the next run
    /// finishes the job.
    @Test func killedLoaderLeavesAConsistentDatabaseAndQueriesRunMeanwhile() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try Scratch("pg-kill")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 600, maxTxs: 4, mine: false)
        let lines = try Files.lines(f.txs)
        try Files.writeLines(dir.path("a.jsonl"), Array(lines.prefix(40)))
        try Files.writeLines(dir.path("b.jsonl"), Array(lines.dropFirst(40)))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "4", "-q", dir.path("a.jsonl")]))
        let uri = try server.createDatabase("ehx")
        try f.query(["index", "--db", uri, "-q"])
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "4", "-q", dir.path("b.jsonl")]))
        let full = try f.query(["txs", "--no-index", "--format", "jsonl"]).stdout

        func consistent() throws -> (tip: Int, txs: Int) {
            let row = try server.psql("ehx", """
                SELECT (SELECT value FROM meta WHERE key = 'tip_height'), (SELECT max(height) FROM blocks),
                       (SELECT count(*) FROM txs), (SELECT sum(tx_count) FROM blocks), (SELECT count(*) FROM txs WHERE height > (SELECT max(height) FROM blocks))
                """).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\t").map(String.init)
            #expect(row.count == 5 && row[0] == row[1] && row[2] == row[3] && row[4] == "0", "\(row)")
            return (Int(row[0]) ?? -1, Int(row[2]) ?? -1)
        }
        let before = try consistent()

        var killedMidway = false
        for _ in 0..<3 where !killedMidway {
            let loader = try Tool.start("ehx-query", ["--chain", f.chain, "index", "--db", uri, "--batch-size", "1", "-q"])
            // Queries while it loads: each answer ends at a committed batch.
            for _ in 0..<400 {
                let answer = try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"])
                #expect(full.starts(with: answer.stdout) && answer.stdout.count > 0, "an answer that is not a prefix of the chain's")
                let tip = Int(try server.psql("ehx", "SELECT value FROM meta WHERE key = 'tip_height'")
                    .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
                if tip > before.tip + 2 || kill(loader.pid, 0) != 0 { break }
            }
            loader.kill(SIGKILL)
            let ended = loader.wait(timeout: 30)
            let now = try consistent()
            if ended.signaled && ended.status == SIGKILL && now.tip > before.tip {
                killedMidway = true
            } else {
                // It finished first: back to where it started, and again.
                let n = before.tip
                _ = try server.psql("ehx", """
                    BEGIN; DELETE FROM txs WHERE height > \(n); DELETE FROM blocks WHERE height > \(n);
                    UPDATE meta SET value = '\(n)' WHERE key = 'tip_height';
                    UPDATE meta SET value = (SELECT hash FROM blocks WHERE height = \(n)) WHERE key = 'tip_hash'; COMMIT
                    """)
            }
        }
        if !killedMidway { print("note: the loader finished before each kill; the kill path was not exercised") }
        let resumed = try JSONLine.object(f.query(["index", "--db", uri, "-q"]).stdout)
        #expect(resumed["rebuilt"] as? Bool == false && (resumed["blocks"] as? Int ?? 0) > 0)
        _ = try consistent()
        #expect(try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"]).stdout == full)
    }

    /// The database holds only what the chain shows anyone: sealed bodies
    /// as sealed, pseudonyms in the patient and device columns.
    @Test func sealedBodiesStaySealedInTheDatabase() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try Scratch("pg-sealed")
        defer { dir.remove() }
        let p = try PrivacyFixture.make(in: dir, sampleLines: 80)
        let uri = try server.createDatabase("ehx")
        try p.base.query(["index", "--db", uri, "-q"])
        var dump = ""
        for table in ["meta", "blocks", "txs"] {
            dump += try server.psql("ehx", "SELECT * FROM \(table)")
        }
        let ids = try p.identifiers()
        #expect(!ids.isEmpty)
        for id in ids { #expect(!dump.contains(id), "\(id) is in the database") }
        let patients = try server.psql("ehx", "SELECT DISTINCT patient FROM txs WHERE type = 'reading'")
            .split(separator: "\n").map(String.init)
        #expect(!patients.isEmpty && patients.allSatisfy { $0.count == 64 }, "\(patients)")
        // The pseudonym finds the same sealed records either way.
        if let pseudonym = patients.first {
            let fromPG = try Self.away(dir, ["txs", "--db", uri, "--patient", pseudonym, "--format", "jsonl"])
            #expect(fromPG.stdout == (try p.base.query(["txs", "--no-index", "--patient", pseudonym, "--format", "jsonl"])).stdout)
            #expect(fromPG.out.contains("\"sealed\""))
        }
        #expect(try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"]).stdout
                == (try p.base.query(["txs", "--no-index", "--format", "jsonl"])).stdout)
    }
}
