import EHXShared
import EHXTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Readers' keys against the database: it holds sealed bodies as sealed,
/// and the key opens them here, as it would from the chain file.
extension PostgresEndToEndTests {
    /// Every view of the policy, a reader who is not a recipient, a reader
    /// with the wrong X25519 key (known only from the chain's key grants,
    /// which must come from the database too), and the audit trail: line
    /// for line, stderr and exit status what the chain gives.
    @Test func txsWithAKeyOpensFromTheDatabaseLikeFromTheChain() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try Scratch("pg-key")
        defer { dir.remove() }
        let p = try PrivacyFixture.make(in: dir, sampleLines: 80)
        let uri = try server.createDatabase("ehx")
        try p.base.query(["index", "--db", uri, "-q"])
        let pseudonym = try server.psql("ehx", "SELECT patient FROM txs WHERE type = 'reading' ORDER BY height, idx LIMIT 1")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pseudonym.count == 64)
        let away = dir.path("no-chain-here.jsonl")

        func both(_ arguments: [String]) throws -> (pg: ToolResult, chain: ToolResult) {
            let fromPG = try Tool.run("ehx-query", ["--chain", away, "txs", "--db", uri] + arguments)
            let scanned = try Tool.run("ehx-query", ["--chain", p.chain, "txs", "--no-index"] + arguments)
            return (fromPG, scanned)
        }
        let filters: [[String]] = [[], ["--type", "reading"], ["--patient", pseudonym], ["--since", "2026-11-26T08:00:30Z", "--until", "2026-11-26T08:01:30Z"]]
        for reader in ["clinician", "physio", "researcher", "auditor", "outsider"] {
            for filter in filters {
                let (fromPG, scanned) = try both(["--key", p.key(reader)] + filter)
                #expect(scanned.status == 0 && scanned.outLines.count > 0, "\(reader) \(filter): \(scanned)")
                #expect(fromPG.status == scanned.status && fromPG.stdout == scanned.stdout && fromPG.stderr == scanned.stderr,
                        "\(reader) \(filter): \(fromPG.err) vs \(scanned.err)")
            }
        }
        let opened = try both(["--key", p.key("clinician"), "--require-open"]).pg
        #expect(opened.status == 0 && opened.out.contains("\"status\":\"opened\"") && opened.out.contains("\"view\":\"full\""), "\(opened)")
        let research = try both(["--key", p.key("researcher")]).pg
        #expect(research.out.contains("\"view\":\"research\""))
        for id in try p.identifiers() { #expect(!research.out.contains("\"\(id)\""), "\(id) in a research view") }
        let outsider = try both(["--key", p.key("outsider"), "--require-open"])
        #expect(outsider.pg.status == 77 && outsider.pg.stdout == outsider.chain.stdout && outsider.pg.stderr == outsider.chain.stderr)

        // The wrong X25519 key: only the chain's key grant says so, and
        // --type reading leaves the grants out of the selection.
        let wrong = try both(["--key", p.key("clinician"), "--enc-key", dir.path("physio.enc.key"), "--type", "reading"])
        #expect(wrong.chain.status == 77 && wrong.chain.err.contains("not the one granted"), "\(wrong.chain)")
        #expect(wrong.pg.status == wrong.chain.status && wrong.pg.stdout == wrong.chain.stdout && wrong.pg.stderr == wrong.chain.stderr, "\(wrong.pg)")

        // Openings from the database are recorded before they are printed, as from the chain.
        let spooled = try Tool.run("ehx-query", ["--chain", away, "txs", "--db", uri, "--key", p.key("clinician"),
                                                 "--audit-spool", dir.path("spool-pg"), "--reason", "ward round"])
        let spooledScan = try Tool.run("ehx-query", ["--chain", p.chain, "txs", "--no-index", "--key", p.key("clinician"),
                                                     "--audit-spool", dir.path("spool-chain"), "--reason", "ward round"])
        #expect(spooled.status == 0 && spooledScan.status == 0 && spooled.stdout == spooledScan.stdout, "\(spooled)")
        let recorded = try FileManager.default.contentsOfDirectory(atPath: dir.path("spool-pg/new"))
        let recordedScan = try FileManager.default.contentsOfDirectory(atPath: dir.path("spool-chain/new"))
        #expect(!recorded.isEmpty && recorded.count == recordedScan.count)

        // A sealed body altered in the database fails authentication here.
        _ = try server.psql("ehx", """
            UPDATE txs SET tx = regexp_replace(tx, '"ct":"(.)', '"ct":"\\1AAAA') WHERE (height, idx) =
                (SELECT height, idx FROM txs WHERE type = 'reading' ORDER BY height, idx LIMIT 1)
            """)
        let altered = try Tool.run("ehx-query", ["--chain", away, "txs", "--db", uri, "--key", p.key("clinician"), "--type", "reading"])
        #expect(altered.status == 1 && altered.out.contains("\"status\":\"tampered\"") && altered.err.contains("failed authentication"), "\(altered)")

        // Break-glass judges the key's role on the chain file itself.
        let glass = try Tool.run("ehx-query", ["--chain", p.chain, "txs", "--db", uri, "--key", p.key("clinician"),
                                               "--break-glass", p.key("emergency"), "--audit-spool", dir.path("spool-bg"), "--reason", "arrest",
                                               "--patient", pseudonym, "--since", "2026-11-26T08:00:00Z"])
        #expect(glass.status == 64 && glass.err.contains("--break-glass"), "\(glass)")
    }

    /// A report page and a FHIR bundle from the database, with and without
    /// a reader's key, on a chain with key grants and a policy: what the
    /// chain gives, but for the footer, which names the database and the tip
    /// it reflects, never the --chain path it did not read.
    @Test func reportAndFhirFromTheDatabaseNameTheirSource() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try Scratch("pg-report")
        defer { dir.remove() }
        let p = try PrivacyFixture.make(in: dir, sampleLines: 80)
        let uri = try server.createDatabase("ehx")
        try p.base.query(["index", "--db", uri, "-q"])
        let pseudonym = try server.psql("ehx", "SELECT patient FROM txs WHERE type = 'reading' ORDER BY height, idx LIMIT 1")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let away = dir.path("no-chain-here.jsonl")
        let tip = try p.base.tipHash()
        let height = try server.psql("ehx", "SELECT value FROM meta WHERE key = 'tip_height'").trimmingCharacters(in: .whitespacesAndNewlines)

        for (n, extra) in [["--patient", "P-0002", "--key", p.key("clinician")], ["--patient", pseudonym, "--key", p.key("physio")], ["--patient", pseudonym, "--key", p.key("researcher")]].enumerated() {
            let fromPG = try Tool.run("ehx-query", ["--chain", away, "report", "--db", uri, "-o", dir.path("pg\(n).html")] + extra)
            let scanned = try Tool.run("ehx-query", ["--chain", p.chain, "report", "--no-index", "-o", dir.path("chain\(n).html")] + extra)
            #expect(fromPG.status == 0 && scanned.status == 0 && fromPG.err.replacingOccurrences(of: "pg\(n).html", with: "chain\(n).html") == scanned.err,
                    "\(extra): \(fromPG) \(scanned)")
            let pgPage = try String(contentsOfFile: dir.path("pg\(n).html"), encoding: .utf8)
            let chainPage = try String(contentsOfFile: dir.path("chain\(n).html"), encoding: .utf8)
            #expect(Self.withoutSource(pgPage) == Self.withoutSource(chainPage), "\(extra)")
            #expect(pgPage.contains("Built from the PostgreSQL index \(uri.replacingOccurrences(of: "&", with: "&amp;"))"), "\(extra)")
            #expect(!pgPage.contains("Built from chain file") && !pgPage.contains("--expect-tip"))
            #expect(pgPage.contains("--checkpoint \(height):\(tip)") && pgPage.contains(tip))
            #expect(chainPage.contains("Built from chain file \(p.chain)") && chainPage.contains("--expect-tip \(tip)"))
        }
        // Nothing to show names where it looked.
        let none = try Tool.run("ehx-query", ["--chain", away, "report", "--db", uri, "--patient", "P-9999", "-o", dir.path("none.html")])
        #expect(none.status == 66 && none.err.contains("no reading or alert in postgresql://") && !none.err.contains(away), "\(none)")

        for filter in [[], ["--patient", pseudonym], ["--patient", "P-0002"]] {
            let fromPG = try Tool.run("ehx-query", ["--chain", away, "fhir", "--db", uri] + filter)
            let scanned = try Tool.run("ehx-query", ["--chain", p.chain, "fhir", "--no-index"] + filter)
            #expect(fromPG.status == 0 && fromPG.stdout == scanned.stdout && fromPG.stderr == scanned.stderr, "\(filter)")
        }
    }

    /// A page without what names its source: the footer's first paragraph,
    /// "on a copy of the chain", its verify command and the command that made it.
    static func withoutSource(_ page: String) -> String {
        var out = page.replacingOccurrences(of: "intact, on a copy of the chain, from", with: "intact, from")
        for (start, end) in [("Built from ", "</p>"), ("ehx-verify --genesis", "</pre>"), ("This page was made with:</p><pre>", "</pre>")] {
            guard let s = out.range(of: start), let e = out.range(of: end, range: s.upperBound..<out.endIndex) else { continue }
            out.replaceSubrange(s.lowerBound..<e.lowerBound, with: "")
        }
        return out
    }
}
