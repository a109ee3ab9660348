import EHXShared
import Foundation
import Testing

/// The whole pipeline on the full sample: keygen → sign --psk → ingest →
/// sign --key (readings and alerts) → mine → verify pinned → query.
@Suite struct EndToEndPipeline {
    @Test func fullSampleGoesThroughEveryToolAndVerifiesPinned() throws {
        let dir = try Scratch("pipeline")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: nil, maxTxs: 300)

        // Nothing vanished silently: every sample line is accepted or rejected.
        let sampleCount = try Files.lineCount(f.raw)
        let deviceRejects = try Files.jsonObjects(dir.path("device-rejects.jsonl"))
        let rejects = try Files.jsonObjects(dir.path("rejects.jsonl"))
        let readingCount = try Files.lineCount(f.readings)
        #expect(readingCount + deviceRejects.count == sampleCount)
        #expect(f.acceptedCount + rejects.count == readingCount)
        // Alerts reach the chain once, through ingest's stream (as envelopes).
        #expect(f.txCount == f.acceptedCount + f.alertCount)
        #expect(f.acceptedCount > 1700)

        // examples/README.md: "ehx-sign --psk can reject only line 200", and
        // ingest then reports the other four one line earlier.
        let deviceLines = deviceRejects.compactMap { $0["line"] as? Int }
        let ingestLines = rejects.compactMap { $0["line"] as? Int }
        #expect(deviceLines.contains(200))
        #expect(deviceLines == [200])
        #expect(ingestLines == [499, 799, 1099, 1399])
        // examples/README.md lists the readings that must raise alerts.
        #expect(f.alertCount >= 6)

        // Verify pinned at both ends.
        let tip = try f.tipHash()
        let verdict = try f.verify(nil, ["--expect-tip", tip])
        #expect(verdict.status == 0, "\(verdict)")
        #expect(verdict.result.out.isEmpty, "\(verdict)")
        #expect(verdict.result.err.contains("valid (genesis pinned, tip pinned)"), "\(verdict)")

        // ehx-query tip agrees with the chain file.
        let blocks = try f.chainLines().count
        let tipLine = try JSONLine.object(try f.query(["tip"]).out)
        #expect(tipLine["height"] as? Int == blocks - 1)
        #expect(tipLine["hash"] as? String == tip)
        let lastBlock = try JSONLine.object(Data(try f.chainLines().last ?? []))
        #expect(lastBlock["hash"] as? String == tip)

        // Alerts on chain = alerts file lines.
        let alertTxs = try f.query(["txs", "--type", "alert"]).outLines
        #expect(alertTxs.count == f.alertCount)

        // Every accepted reading appears exactly once on chain, unchanged.
        let readingTxs = try f.query(["txs", "--type", "reading"]).outLines
        #expect(readingTxs.count == f.acceptedCount)
        let onChain = try readingTxs.map { line -> [String: Any] in
            guard let body = try JSONLine.object(line)["body"] as? [String: Any] else { throw TestFailure("reading tx without body") }
            return body
        }
        let accepted = try ChainFixture.readingLines(f.accepted).map { try JSONLine.object(Data($0)) }
        let key = { (r: [String: Any]) in "\(r["device"] ?? "?")#\(r["seq"] ?? "?")" }
        var counts: [String: Int] = [:]
        for body in onChain { counts[key(body), default: 0] += 1 }
        #expect(counts.values.allSatisfy { $0 == 1 }, "a reading appears more than once on chain")
        #expect(Set(counts.keys) == Set(accepted.map(key)))
        // Bodies byte for byte (canonical form) in the same order as accepted.
        let acceptedBodies = try ChainFixture.readingLines(f.accepted).map { try JSONValue.parse($0) }
        let chainBodies = try readingTxs.map { try JSONValue.parse($0).value(at: ["body"]) }
        #expect(chainBodies == acceptedBodies, "on-chain reading bodies differ from ehx-ingest's output")
    }
}
