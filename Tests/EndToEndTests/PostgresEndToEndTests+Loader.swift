import EHXShared
import EHXTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A loader killed in the middle of a batch, and loaders racing each other.
extension PostgresEndToEndTests {
    /// The committed state as rows: the tip in meta, the highest block, the
    /// number of txs rows, the sum of the blocks' tx_count, and txs rows
    /// above the highest block (none when consistent).
    static func committed(_ server: PostgresServer) throws -> [String] {
        try server.psql("ehx", """
            SELECT (SELECT value FROM meta WHERE key = 'tip_height'), (SELECT max(height) FROM blocks),
                   (SELECT count(*) FROM txs), (SELECT sum(tx_count) FROM blocks),
                   (SELECT count(*) FROM txs WHERE height > (SELECT max(height) FROM blocks)),
                   (SELECT value FROM meta WHERE key = 'tip_hash') = (SELECT hash FROM blocks ORDER BY height DESC LIMIT 1)
            """).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\t").map(String.init)
    }

    /// Polls `sql` (one value) until it prints `expected`, for at most 60 s.
    static func poll(_ server: PostgresServer, _ sql: String, _ expected: String) throws -> Bool {
        for _ in 0..<1200 {
            if try server.psql("ehx", sql).trimmingCharacters(in: .whitespacesAndNewlines) == expected { return true }
            usleep(50_000)
        }
        return false
    }

    /// The moment is made, not hoped for: another session holds the tip
    /// row, so the loader sends its batch's blocks and transactions and
    /// then waits to write the tip, inside its database transaction. It is
    /// killed there. The database keeps the last committed tip and exactly
    /// its rows (also once the dead loader's transaction is gone), queries
    /// meanwhile answer as of that tip, a second loader meanwhile exits 75,
    /// and the next run completes.
    @Test func loaderKilledInTheMiddleOfABatchLeavesTheLastCommittedTip() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try Scratch("pg-midbatch")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 300, maxTxs: 20, mine: false)
        let lines = try Files.lines(f.txs)
        try Files.writeLines(dir.path("a.jsonl"), Array(lines.prefix(60)))
        try Files.writeLines(dir.path("b.jsonl"), Array(lines.dropFirst(60)))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "20", "-q", dir.path("a.jsonl")]))
        let uri = try server.createDatabase("ehx")
        try f.query(["index", "--db", uri, "-q"])
        let asIndexed = try f.query(["txs", "--no-index", "--format", "jsonl"]).stdout
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "20", "-q", dir.path("b.jsonl")]))
        let full = try f.query(["txs", "--no-index", "--format", "jsonl"]).stdout
        #expect(full.count > asIndexed.count)
        let before = try Self.committed(server)
        #expect(before.count == 6 && before[0] == before[1] && before[2] == before[3] && before[4] == "0" && before[5] == "t", "\(before)")

        let locker = try server.session("ehx", log: dir.path("locker.log"))
        locker.write("BEGIN;\nSELECT value FROM meta WHERE key = 'tip_height' FOR UPDATE;\n")
        #expect(try Self.poll(server, "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'", "1"))
        // One batch for every new block.
        let loader = try Tool.start("ehx-query", ["--chain", f.chain, "index", "--db", uri, "--batch-size", "100000", "-q"])
        let blocked = try Self.poll(server, """
            SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO meta%'
            """, "1")
        #expect(blocked, "the loader never reached the tip of its batch")

        // Mid-batch: a second loader is turned away, queries see the old tip.
        let second = try Tool.run("ehx-query", ["--chain", f.chain, "index", "--db", uri])
        #expect(second.status == 75 && second.err.contains("another ehx-query index"), "\(second)")
        #expect(try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"]).stdout == asIndexed)

        loader.kill(SIGKILL)
        let ended = loader.wait(timeout: 30)
        #expect(ended.signaled && ended.status == SIGKILL, "\(ended)")
        #expect(try Self.committed(server) == before)
        #expect(try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"]).stdout == asIndexed)

        // The dead loader's transaction gets the row, finds no client and is rolled back.
        locker.write("ROLLBACK;\n")
        locker.closeInput()
        _ = locker.waitUntilExit()
        #expect(try Self.poll(server, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO meta%'", "0"))
        #expect(try Self.committed(server) == before)
        #expect(try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"]).stdout == asIndexed)

        let resumed = try JSONLine.object(f.query(["index", "--db", uri, "-q"]).stdout)
        #expect(resumed["rebuilt"] as? Bool == false && (resumed["blocks"] as? Int ?? 0) > 0, "\(resumed)")
        let after = try Self.committed(server)
        #expect(after[0] == after[1] && after[2] == after[3] && after[4] == "0" && after[5] == "t" && after != before, "\(after)")
        #expect(try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"]).stdout == full)
        #expect(try Self.away(dir, ["fhir", "--db", uri]).stdout == (try f.query(["fhir", "--no-index"])).stdout)
    }
}
