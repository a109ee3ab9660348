import EHXShared
import Foundation
import Testing

/// The auditor's options: --json, --summary, --checkpoint, --from-height,
/// --threads (same report whatever the count).
@Suite struct EndToEndVerifyAudit {
    @Test func jsonReportSummaryAndThreads() throws {
        let dir = try Scratch("verify-json")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 80, maxTxs: 10)
        let tip = try f.tipHash()

        let ok = try f.verify(nil, ["--json", "--summary", "--expect-tip", tip])
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.result.outLines.count == 1, "\(ok)")
        let verdict = try JSONLine.object(ok.result.outLines[0])
        #expect(verdict["verdict"] as? String == "valid")
        #expect(verdict["tip"] as? String == tip)
        let summary = try #require(verdict["summary"] as? [String: Any])
        #expect((summary["types"] as? [String: Any])?["reading"] as? Int == f.acceptedCount)
        #expect((summary["signers"] as? [String: Any])?["gateway"] as? Int == 1)
        #expect(summary["work"] as? String != nil && summary["first_time"] as? String != nil)

        // A bad signature and a cut tail: one JSON object per problem, then the verdict.
        var lines = try f.chainLines()
        try ChainFixture.editBlock(&lines, 2) { $0.setting(["txs", 1, "sig"], to: .string(String(repeating: "A", count: 86))) }
        let bad = dir.path("bad.jsonl")
        try Files.writeLines(bad, lines)
        var reports: [String] = []
        for threads in ["1", "2", "5"] {
            let r = try Tool.run("ehx-verify", ["--json", "--threads", threads, "--genesis", f.genesisHash, bad])
            #expect(r.status == 1, "\(r)")
            reports.append(r.out)
            let objects = try r.outLines.map { try JSONLine.object($0) }
            #expect(objects.last?["verdict"] as? String == "invalid")
            let problems = objects.dropLast()
            #expect(problems.contains { $0["rule"] as? String == "signature" && $0["line"] as? Int == 3 && $0["height"] as? Int == 2
                && ($0["txid"] as? String)?.count == 64 && $0["file"] as? String == bad }, "\(r.out)")
        }
        #expect(Set(reports).count == 1, "the report must not depend on --threads")
    }

    @Test func checkpointsAndFromHeight() throws {
        let dir = try Scratch("verify-checkpoint")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 80, maxTxs: 10)
        let lines = try f.chainLines()
        let h3 = try f.query(["block", "3", "--hash"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let h2 = try f.query(["block", "2", "--hash"]).out.trimmingCharacters(in: .whitespacesAndNewlines)

        #expect(try Tool.run("ehx-verify", ["--checkpoint", "0:\(f.genesisHash)", "--checkpoint", "3:\(h3)", f.chain]).status == 0)
        let wrong = try Tool.run("ehx-verify", ["--checkpoint", "3:\(h2)", f.chain])
        #expect(wrong.status == 1 && wrong.out.contains(": pin: "), "\(wrong)")
        let beyond = try Tool.run("ehx-verify", ["--checkpoint", "\(lines.count + 5):\(h2)", f.chain])
        #expect(beyond.status == 1 && beyond.out.contains("never reaches the checkpoint"), "\(beyond)")
        #expect(try Tool.run("ehx-verify", ["--checkpoint", "x:y", f.chain]).status == 64)
        #expect(try Tool.run("ehx-verify", ["--from-height", "4", f.chain]).status == 64)

        // A forged signature below the checkpoint is taken on its trust; one above it is not.
        var forged = lines
        try ChainFixture.editBlock(&forged, 1) { $0.setting(["txs", 1, "sig"], to: .string(String(repeating: "A", count: 86))) }
        let path = dir.path("forged.jsonl")
        try Files.writeLines(path, forged)
        let full = try Tool.run("ehx-verify", [path])
        #expect(full.status == 1 && full.out.contains(": signature: "), "\(full)")
        // The edit changed block 1's Merkle root, so a checkpoint of the honest block 3 no longer matches...
        let trusted = try Tool.run("ehx-verify", ["--checkpoint", "3:\(h3)", "--from-height", "4", path])
        #expect(trusted.status == 1 && !trusted.out.contains(": signature: ") && trusted.out.contains(": merkle: "), "\(trusted)")
        // ...while the honest chain verifies from height 4 on, and says what it trusted.
        let fast = try Tool.run("ehx-verify", ["--checkpoint", "3:\(h3)", "--from-height", "4", "--json", f.chain])
        #expect(fast.status == 0, "\(fast)")
        #expect(try JSONLine.object(fast.outLines.last ?? "")["signatures_trusted_below"] as? Int == 4)
    }
}
