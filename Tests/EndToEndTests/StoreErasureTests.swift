import EHXShared
import Foundation
import Testing

/// Issue 22: sealed bodies in a content-addressed store, replicated over a
/// pipe, erased by an authority transaction on every peer that follows the
/// chain; firmware fetched by hash from a replica.
@Suite struct EndToEndStoreErasure {
    static func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Every blob file in a store (name → bytes' hash matches), by hash.
    static func blobs(_ store: String) throws -> Set<String> {
        var out: Set<String> = []
        let root = store + "/sha256"
        for dir in try FileManager.default.contentsOfDirectory(atPath: root) {
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + dir) where !name.hasPrefix(".") {
                out.insert(dir + name)
            }
        }
        return out
    }

    /// Stored bodies on the chain: blob → patient pseudonym.
    static func stored(_ f: PrivacyFixture) throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try f.base.query(["txs"]).outLines {
            let tx = try JSONLine.object(line)
            guard let body = tx["body"] as? [String: Any], let stored = body["stored"] as? [String: Any],
                  let blob = stored["sha256"] as? String, let patient = body["patient"] as? String else { continue }
            out[blob] = patient
        }
        return out
    }

    @Test func erasingOnePatientReachesEveryReplicaAndNothingElse() throws {
        let dir = try Scratch("store-erasure")
        defer { dir.remove() }
        let p = dir.path
        let storeA = p("storeA"), storeB = p("storeB"), chainB = p("chainB.jsonl")
        let f = try PrivacyFixture.make(in: dir, sampleLines: 1150, store: storeA)
        let refs = try Self.stored(f)
        let readings = try f.base.query(["txs", "--type", "reading"]).outLines.count
        #expect(readings >= 1000, "only \(readings) readings")
        #expect(Set(refs.values).count == 3, "patients: \(Set(refs.values).count)")
        #expect(try Self.blobs(storeA) == Set(refs.keys))
        // No sealed part is on the chain any more: only clear parts and commitments.
        let chainText = String(decoding: try Files.bytes(f.chain), as: UTF8.self)
        #expect(!chainText.contains("\"sealed\"") && !chainText.contains("\"ct\""))
        #expect(try f.base.verify().status == 0)

        // Peer B: the chain's blocks and the store, through pipes.
        try FileManager.default.copyItem(atPath: f.chain, toPath: chainB)
        let replicate = "ehx-query --chain \(Self.q(chainB)) --store \(Self.q(storeB)) blobs --missing"
            + " | ehx-query --chain \(Self.q(f.chain)) --store \(Self.q(storeA)) blobs --export"
            + " | ehx-query --chain \(Self.q(chainB)) --store \(Self.q(storeB)) blobs --import"
        let copied = try Tool.shell("set -e; " + replicate, timeout: 300)
        #expect(copied.status == 0, "\(copied)")
        #expect(try Self.blobs(storeB) == Set(refs.keys))
        #expect(try f.base.verify(chainB, ["--store", storeB]).status == 0)

        // A reader opens P-0001's readings before the erasure.
        let (before, beforeLines) = try f.read("clinician", ["--type", "reading"], store: storeB, chain: chainB)
        #expect(before.status == 0, "\(before)")
        let victim = try #require(beforeLines.first { ($0["body"] as? [String: Any])?["patient"] as? String == "P-0001" })
        let victimTxid = try #require(victim["txid"] as? String)

        // The authority erases P-0001: the body lists exactly its stored blobs.
        let body = try Tool.run("ehx-query", ["--chain", f.chain, "blobs", "--erasure-body", "--patient", "P-0001",
                                              "--pseudonym-key", f.pseudonymKey, "--request", "letter of 2026-12-01, ref DPO-17",
                                              "--reason", "GDPR Art. 17"])
        #expect(body.status == 0, "\(body)")
        try Files.write(p("erasure.json"), body.stdout)
        let erasure = try JSONLine.object(body.out)
        let pseudonym = try #require(erasure["patient"] as? String)
        let erased = Set(refs.filter { $0.value == pseudonym }.map(\.key))
        #expect(!erased.isEmpty && Set(erasure["blobs"] as? [String] ?? []) == erased)
        // Only the authority may sign it.
        let forged = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "erasure", "--key", f.base.gatewayKey, p("erasure.json")]))
        try Files.write(p("forged.jsonl"), forged.stdout)
        let refused = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "-q", p("forged.jsonl")])
        #expect(refused.status == 65, "\(refused)")
        let tx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "erasure", "--key", f.base.authorityKey, p("erasure.json")]))
        try Files.write(p("erasure-tx.jsonl"), tx.stdout)
        let tip = try f.base.tipHash()
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "-q", p("erasure-tx.jsonl")]))
        let appended = try Tool.shell("set -e; ehx-query --chain \(Self.q(f.chain)) blocks --since \(tip) | ehx-verify --append \(Self.q(chainB)) -q")
        #expect(appended.status == 0, "\(appended)")

        // Before B's store follows, --store flags every erased blob still there.
        let stale = try f.base.verify(chainB, ["--store", storeB])
        #expect(stale.status == 1)
        #expect(stale.problems.filter { $0.rule == "erased-present" }.count == erased.count, "\(stale)")
        #expect(stale.problems.allSatisfy { $0.rule == "erased-present" })

        let old = try Tool.shell("ehx-query --store \(Self.q(storeB)) blobs --export --all > \(Self.q(p("old-stream")))")
        #expect(old.status == 0, "\(old)")

        // Both stores follow their chain; each loses exactly that patient's blobs.
        for (chain, store) in [(f.chain, storeA), (chainB, storeB)] {
            let sync = try Tool.run("ehx-query", ["--chain", chain, "--store", store, "blobs", "--sync"])
            #expect(sync.status == 0, "\(sync)")
            #expect(try Self.blobs(store) == Set(refs.keys).subtracting(erased))
            // Both chains verify without a store, and with it, the erasure accounted for.
            #expect(try f.base.verify(chain).status == 0)
            let withStore = try f.base.verify(chain, ["--store", store])
            #expect(withStore.status == 0, "\(withStore)")
            // Idempotent.
            #expect(try Tool.run("ehx-query", ["--chain", chain, "--store", store, "blobs", "--sync"]).status == 0)
        }
        // A stale peer's copy (B's stream from before the sync) is never taken back in.
        let back = try Tool.run("ehx-query", ["--store", storeB, "blobs", "--import", p("old-stream")])
        #expect(back.status == 0 && back.err.contains("\(erased.count) refused"), "\(back)")
        #expect(try Self.blobs(storeB) == Set(refs.keys).subtracting(erased))

        // The reader key that opened P-0001 gets "erased", never plaintext; the others still open.
        let (after, lines) = try f.read("clinician", [], store: storeB, chain: chainB)
        #expect(after.status == 0, "\(after)")
        let line = try #require(lines.first { $0["txid"] as? String == victimTxid })
        #expect(line["status"] as? String == "erased")
        #expect((line["body"] as? [String: Any])?["value"] == nil)
        #expect(!after.out.contains("\"P-0001\""))
        let statuses = lines.filter { $0["blob"] != nil }
        #expect(statuses.filter { $0["status"] as? String == "erased" }.count == erased.count)
        #expect(statuses.filter { $0["status"] as? String == "opened" }.count == refs.count - erased.count)
        let others = Set(statuses.compactMap { ($0["body"] as? [String: Any])?["patient"] as? String }.filter { $0.hasPrefix("P-") })
        #expect(others == ["P-0002", "P-0003"])
        // The research view too, from the other replica.
        let (_, research) = try f.read("researcher", [], store: storeA)
        #expect(research.filter { $0["status"] as? String == "opened" }.count == refs.count - erased.count)

        // The audit lists the erasure.
        let summary = try Tool.run("ehx-verify", ["--json", "--summary", chainB])
        let verdict = try JSONLine.object(try #require(summary.outLines.last))
        let listed = (verdict["summary"] as? [String: Any])?["erasures"] as? [[String: Any]] ?? []
        #expect(listed.count == 1 && listed.first?["reason"] as? String == "GDPR Art. 17" && listed.first?["blobs"] as? Int == erased.count)
    }

    @Test func corruptBlobsAreRefusedNeverShown() throws {
        let dir = try Scratch("store-corrupt")
        defer { dir.remove() }
        let store = dir.path("store")
        let f = try PrivacyFixture.make(in: dir, sampleLines: 30, store: store)
        let refs = try Self.stored(f)
        let blob = try #require(refs.keys.sorted().first)
        let file = store + "/sha256/" + blob.prefix(2) + "/" + blob.dropFirst(2)
        var bytes = try Files.bytes(file)
        bytes[bytes.count / 2] ^= 0x01
        try FileManager.default.removeItem(atPath: file)
        try Files.write(file, bytes)
        let verdict = try f.base.verify(nil, ["--store", store])
        #expect(verdict.status == 1)
        #expect(verdict.problems.map(\.rule) == ["blob-corrupt"], "\(verdict)")
        let (result, lines) = try f.read("clinician", [], store: store)
        #expect(result.status == 1, "\(result)")
        let bad = lines.filter { $0["blob"] as? String == blob }
        #expect(bad.count == 1 && bad.first?["status"] as? String == "tampered" && bad.first?["body"] == nil)
        #expect(result.err.contains(file) || result.out.contains("corrupt"), "\(result)")
        // A missing one is missing: the clear part only, and verify says blob-missing.
        try FileManager.default.removeItem(atPath: file)
        let missing = try f.base.verify(nil, ["--store", store])
        #expect(missing.problems.map(\.rule) == ["blob-missing"], "\(missing)")
        // Without a store the chain is valid.
        #expect(try f.base.verify().status == 0)
    }

    @Test func firmwareRegisteredOnOnePeerIsFetchedOnAnother() throws {
        let dir = try Scratch("store-firmware")
        defer { dir.remove() }
        let p = dir.path
        let f = try ChainFixture.make(in: dir, sampleLines: 20)
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "manufacturer", "-o", p("maker")]))
        let grant = try ChainFixture.check(Tool.run("ehx-keygen", ["grant", "--role", "manufacturer", "--key", p("maker.pub")]))
        try Files.write(p("grant.json"), grant.stdout)
        let grantTx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "key", "--key", f.authorityKey, p("grant.json")]))
        try Files.write(p("grant-tx.jsonl"), grantTx.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "-q", p("grant-tx.jsonl")]))
        let image = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) })
        try Files.write(p("fw.bin"), image)
        let release = try ChainFixture.check(Tool.run("ehx-keygen", ["firmware", "--vendor", "Acme", "--model", "PM-100", "--version", "2.1", p("fw.bin")]))
        try Files.write(p("fw.json"), release.stdout)
        let fwTx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "firmware", "--key", p("maker.key"), p("fw.json")]))
        try Files.write(p("fw-tx.jsonl"), fwTx.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "-q", p("fw-tx.jsonl")]))
        let added = try Tool.run("ehx-query", ["--chain", f.chain, "--store", p("storeA"), "blobs", "--add", p("fw.bin")])
        #expect(added.status == 0, "\(added)")

        // Peer B joins late: the chain by blocks, the image by hash, each through a pipe.
        let chainB = p("chainB.jsonl")
        try Files.writeLines(chainB, [try f.chainLines()[0]])
        let joined = try Tool.shell("set -e; ehx-query --chain \(Self.q(f.chain)) blocks --since \(f.genesisHash) | ehx-verify --append \(Self.q(chainB)) -q")
        #expect(joined.status == 0, "\(joined)")
        let early = try Tool.run("ehx-query", ["--chain", chainB, "--store", p("storeB"), "firmware", "--model", "PM-100", "--fetch", "-o", p("got.bin")])
        #expect(early.status == 66, "\(early)")
        #expect(!FileManager.default.fileExists(atPath: p("got.bin")))
        _ = try Tool.run("ehx-query", ["--chain", chainB, "--store", p("storeB"), "blobs", "--sync"])
        let copied = try Tool.shell("set -e; ehx-query --chain \(Self.q(chainB)) --store \(Self.q(p("storeB"))) blobs --missing"
                                    + " | ehx-query --store \(Self.q(p("storeA"))) blobs --export"
                                    + " | ehx-query --store \(Self.q(p("storeB"))) blobs --import")
        #expect(copied.status == 0, "\(copied)")
        let fetched = try Tool.run("ehx-query", ["--chain", chainB, "--store", p("storeB"), "firmware", "--model", "PM-100", "--fetch", "-o", p("got.bin")])
        #expect(fetched.status == 0, "\(fetched)")
        #expect(try Files.bytes(p("got.bin")) == [UInt8](image))
        #expect(try Tool.run("ehx-query", ["--chain", chainB, "firmware", "--model", "PM-100", "--check", p("got.bin")]).status == 0)

        // A replica whose copy was altered never hands it out.
        let digest = SHA256.hash([UInt8](image)).hex
        let file = p("storeB") + "/sha256/" + digest.prefix(2) + "/" + digest.dropFirst(2)
        var bytes = try Files.bytes(file)
        bytes[100] ^= 0x20
        try FileManager.default.removeItem(atPath: file)
        try Files.write(file, bytes)
        let corrupt = try Tool.run("ehx-query", ["--chain", chainB, "--store", p("storeB"), "firmware", "--model", "PM-100", "--fetch", "-o", p("bad.bin")])
        #expect(corrupt.status == 65 && corrupt.err.contains("corrupt"), "\(corrupt)")
        #expect(!FileManager.default.fileExists(atPath: p("bad.bin")))
        // --import repairs it from a good replica.
        let repaired = try Tool.shell("ehx-query --store \(Self.q(p("storeA"))) blobs --export \(digest) | ehx-query --store \(Self.q(p("storeB"))) blobs --import")
        #expect(repaired.status == 0, "\(repaired)")
        #expect(try Tool.run("ehx-query", ["--chain", chainB, "--store", p("storeB"), "firmware", "--model", "PM-100", "--fetch", "-o", p("bad.bin")]).status == 0)
    }
}
