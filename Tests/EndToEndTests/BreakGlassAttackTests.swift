import EHXShared
import Foundation
import Testing

/// Issue 16, item 6: break-glass is role-gated, bounded to one patient and
/// a window, recorded before anything is printed, and on the audit page.
@Suite struct EndToEndBreakGlass {
    static let window = ["--since", "2026-11-26T00:00:00Z", "--until", "2026-11-27T00:00:00Z"]

    /// The patient pseudonyms of the fixture's sealed transactions, with their txids.
    static func sealedByPatient(_ f: PrivacyFixture) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for line in try Files.textLines(f.sealedTxs) {
            guard let patient = ((try JSONLine.object(line))["body"] as? [String: Any])?["patient"] as? String else { continue }
            let tx = try Transaction(parsing: try JSONValue.parse(Array(line.utf8)))
            out[patient, default: []].insert(tx.txid.hex)
        }
        return out
    }

    @Test func aRolelessKeyCannotBreakGlass() throws {
        let dir = try Scratch("attack-break-glass")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 60)
        let spool = dir.path("spool")
        let patient = try #require(try Self.sealedByPatient(f).keys.sorted().first)
        for reader in ["outsider", "auditor"] {
            let (r, lines) = try f.read(reader, ["--break-glass", dir.path("emergency.enc.key"), "--patient", patient]
                                         + Self.window + ["--audit-spool", spool, "--reason", "curious"])
            #expect(r.status == 77, "\(reader): \(r)")
            #expect(!lines.contains { $0["status"] as? String == "opened" }, "\(reader) opened through the emergency key")
            #expect(r.err.contains("break-glass"), "\(r)")
        }
        let recorded = (try? FileManager.default.contentsOfDirectory(atPath: spool + "/new")) ?? []
        #expect(recorded.isEmpty, "a refused break-glass left a record: \(recorded)")
    }

    @Test func breakGlassIsBoundedRecordedAndOnTheAuditPage() throws {
        let dir = try Scratch("break-glass-bounded")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 60)
        let spool = dir.path("spool")
        let byPatient = try Self.sealedByPatient(f)
        try #require(byPatient.count >= 2, "the sample needs two patients")
        let patient = try #require(byPatient.keys.sorted().first)
        // Unbounded: refused.
        let (unbounded, _) = try f.read("nurse", ["--break-glass", dir.path("emergency.enc.key"), "--audit-spool", spool, "--reason", "x"])
        #expect(unbounded.status == 64, "\(unbounded)")
        let (wide, _) = try f.read("nurse", ["--break-glass", dir.path("emergency.enc.key"), "--patient", patient,
                                             "--since", "2026-11-01T00:00:00Z", "--until", "2026-11-27T00:00:00Z",
                                             "--audit-spool", spool, "--reason", "x"])
        #expect(wide.status == 64, "\(wide)")
        // One patient, one day: only that patient's records are opened.
        let (r, lines) = try f.read("nurse", ["--break-glass", dir.path("emergency.enc.key"), "--patient", patient] + Self.window
                                    + ["--audit-spool", spool, "--reason", "code blue bed 12"])
        #expect(r.status == 0, "\(r)")
        let opened = Set(lines.filter { $0["status"] as? String == "opened" }.compactMap { $0["txid"] as? String })
        #expect(!opened.isEmpty && opened.isSubset(of: byPatient[patient] ?? []), "opened beyond the patient")
        let files = try FileManager.default.contentsOfDirectory(atPath: spool + "/new")
        #expect(files.count == 1)
        // Mined, the record is valid and the audit page lists it: who, which patient, when, why.
        let mined = try Tool.shell("cat '\(spool)'/new/* | ehx-mine --chain '\(f.chain)' --key '\(f.base.minerKey)' -q")
        #expect(mined.status == 0, "\(mined)")
        let page = dir.path("audit.html")
        let verify = try Tool.run("ehx-verify", ["--genesis", f.base.genesisHash, "--report", page, f.chain])
        #expect(verify.status == 0, "\(verify)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let nurse = String(try KeyFile.readPublicKey(path: f.pub("nurse")).id.hex.prefix(16))
        #expect(html.contains("BREAK-GLASS") && html.contains(nurse) && html.contains(patient) && html.contains("code blue bed 12"),
                "the audit page does not list the break-glass event")
    }
}
