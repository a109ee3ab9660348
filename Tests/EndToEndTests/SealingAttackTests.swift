import EHXShared
import EHXTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16, items 2 to 4: what a sealer is fed (a substituted chain, a
/// revocation it has not seen) and what its output leaks (lengths).
@Suite struct EndToEndSealingAttacks {
    static func sealArguments(_ f: PrivacyFixture, chain: String? = nil, genesis: String? = nil) -> [String] {
        ["--seal", "--chain", chain ?? f.chain, "--genesis", genesis ?? f.base.genesisHash,
         "--pseudonym-key", f.pseudonymKey, "--key", f.base.gatewayKey]
    }

    /// The sealed views of each transaction line: view name -> (ct length, kids).
    static func views(_ line: String) throws -> [String: (Int, Set<String>)] {
        let tx = try JSONLine.object(line)
        let body = try #require(tx["body"] as? [String: Any])
        let sealed = try #require(body["sealed"] as? [String: Any])
        var out: [String: (Int, Set<String>)] = [:]
        for view in ["full", "research"] {
            guard let v = sealed[view] as? [String: Any], let ct = v["ct"] as? String, let to = v["to"] as? [[String: Any]] else { continue }
            out[view] = (try #require(Base64URL.decode(ct)).count, Set(to.compactMap { $0["kid"] as? String }))
        }
        return out
    }

    static func reading(_ kind: String, _ value: String, unit: String, seq: Int) -> String {
        #"{"device":"bed12-mon","patient":"P-0001","seq":\#(seq),"ts":"2026-11-26T11:00:00.000Z","kind":"\#(kind)","value":\#(value),"unit":"\#(unit)"}"#
    }

    @Test func ciphertextLengthsDoNotTellValues() throws {
        let dir = try Scratch("attack-lengths")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 400)
        let pairs: [(String, String, String, String)] = [
            ("oxygen", "true", "false", "1"), ("heart_rate", "72", "135", "/min"), ("spo2", "100", "94", "%"),
            ("temperature", "36.6", "39.15", "Cel"), ("resp_rate", "8", "25", "/min"),
            ("consciousness", "\"A\"", "\"U\"", "1"), ("emg", "0.5", "12.375", "mV"),
            ("blood_pressure", #"{"systolic":90,"diastolic":60}"#, #"{"systolic":220,"diastolic":120}"#, "mm[Hg]"),
        ]
        var lines: [String] = []
        for (i, (kind, a, b, unit)) in pairs.enumerated() {
            lines.append(Self.reading(kind, a, unit: unit, seq: 1_000 + i))
            lines.append(Self.reading(kind, b, unit: unit, seq: 9_000_000_000 + i))
        }
        try Files.write(dir.path("values.jsonl"), Data((lines.joined(separator: "\n") + "\n").utf8))
        let sealed = try ChainFixture.check(Tool.run("ehx-sign", Self.sealArguments(f) + [dir.path("values.jsonl")]))
        let out = sealed.outLines
        #expect(out.count == lines.count)
        for (i, (kind, a, b, _)) in pairs.enumerated() {
            let first = try Self.views(out[2 * i]), second = try Self.views(out[2 * i + 1])
            for view in ["full", "research"] {
                #expect(first[view]?.0 == second[view]?.0, "\(kind) \(view): \(a) and \(b) seal to different lengths")
            }
        }
        // Every reading of the fixture, whatever its kind or value, too.
        var readingLengths: [String: Set<Int>] = [:], alertLengths: [String: Set<Int>] = [:]
        var levels: Set<String> = []
        for line in try Files.textLines(f.sealedTxs) {
            let tx = try JSONLine.object(line)
            let type = tx["type"] as? String
            for (view, (length, _)) in try Self.views(line) {
                if type == "alert" { alertLengths[view, default: []].insert(length) } else { readingLengths[view, default: []].insert(length) }
            }
        }
        for line in try Files.textLines(f.base.alerts) {
            if let level = try JSONLine.object(line)["level"] as? String { levels.insert(level) }
        }
        #expect(readingLengths.values.allSatisfy { $0.count == 1 }, "\(readingLengths)")
        #expect(!alertLengths.isEmpty, "the sample raised no alert")
        #expect(alertLengths.values.allSatisfy { $0.count == 1 }, "alerts of levels \(levels.sorted()): \(alertLengths)")
    }

    @Test func sealingRequiresAPinnedGenesisAndRefusesASubstitutedChain() throws {
        let dir = try Scratch("attack-substitute")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 20)
        let p = dir.path
        try Files.write(p("one.jsonl"), Data((Self.reading("heart_rate", "72", unit: "/min", seq: 5_000) + "\n").utf8))
        // Unpinned: refused as a usage error.
        let unpinned = try Tool.run("ehx-sign", ["--seal", "--chain", f.chain, "--pseudonym-key", f.pseudonymKey,
                                                 "--key", f.base.gatewayKey, p("one.jsonl")])
        #expect(unpinned.status == 64, "\(unpinned)")
        #expect(unpinned.err.contains("--genesis"), "\(unpinned)")
        #expect(unpinned.stdout.isEmpty)

        // A self-consistent chain of the attacker's: its own authority, the
        // real gateway and miner keys, and a spy granted as a clinician.
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "authority", "-o", p("spy-authority")]))
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "clinician", "--enc", "-o", p("spy")]))
        try ChainFixture.check(Tool.run("ehx-keygen", ["genesis", "--authority", p("spy-authority.key"), "--bits", "207fffff",
            "--grant", "gateway=" + f.base.gatewayPub, "--grant", "miner=" + f.base.minerPub, "-o", p("spy-chain.jsonl")]))
        let grant = try ChainFixture.check(Tool.run("ehx-keygen", ["grant", "--role", "clinician", "--key", p("spy.pub"), "--enc", p("spy.enc.pub")]))
        try Files.write(p("spy-grant.jsonl"), grant.stdout)
        try Files.write(p("spy-policy.json"), Data(#"{"read":{"clinician":["*"]}}"#.utf8 + [0x0a]))
        let txs = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "key", "--key", p("spy-authority.key"), p("spy-grant.jsonl")])).stdout
            + ChainFixture.check(Tool.run("ehx-sign", ["--type", "policy", "--key", p("spy-authority.key"), p("spy-policy.json")])).stdout
        try Files.write(p("spy-txs.jsonl"), txs)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", p("spy-chain.jsonl"), "--key", f.base.minerKey, "-q", p("spy-txs.jsonl")]))
        #expect(try Tool.run("ehx-verify", [p("spy-chain.jsonl")]).status == 0, "the substitute is self-consistent")

        let substituted = try Tool.run("ehx-sign", Self.sealArguments(f, chain: p("spy-chain.jsonl")) + [p("one.jsonl")])
        #expect(substituted.status == 65, "\(substituted)")
        #expect(substituted.stdout.isEmpty, "sealed under a chain that is not the pinned one")
        #expect(substituted.err.contains("genesis"), "\(substituted)")
        // The real chain, pinned, still seals.
        #expect(try Tool.run("ehx-sign", Self.sealArguments(f) + [p("one.jsonl")]).status == 0)
    }

    @Test func aRunningSealerFollowsARevocationMinedIntoItsChain() throws {
        let dir = try Scratch("attack-revoke-live")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 20)
        let p = dir.path
        let physio = try KeyFile.readPublicKey(path: f.pub("physio")).id.hex
        _ = FileManager.default.createFile(atPath: p("live.jsonl"), contents: nil)
        let sealer = try ChildProcess(executable: try Tool.path("ehx-sign"), arguments: Self.sealArguments(f) + ["--threads", "2"],
                                      input: .pipe, output: .file(p("live.jsonl")), error: .file(p("live.err")))
        defer { sealer.kill(SIGKILL) }
        func waitForLines(_ n: Int) -> [String] {
            let deadline = Date().addingTimeInterval(30)
            var lines: [String] = []
            while Date() < deadline {
                lines = ((try? String(contentsOfFile: p("live.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                if lines.count >= n { break }
                usleep(20_000)
            }
            return lines
        }
        sealer.write(Self.reading("heart_rate", "72", unit: "/min", seq: 7_001) + "\n")
        let before = waitForLines(1)
        try #require(before.count == 1, "the sealer wrote nothing for the first reading")
        #expect(try Self.views(before[0])["full"]?.1.contains(physio) == true)

        // The authority revokes the physio; the block lands in the chain file.
        let revoke = try ChainFixture.check(Tool.run("ehx-keygen", ["revoke", "--role", "physio", "--key", f.pub("physio")]))
        try Files.write(p("revoke.jsonl"), revoke.stdout)
        let tx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "key", "--key", f.base.authorityKey, p("revoke.jsonl")]))
        try Files.write(p("revoke-tx.jsonl"), tx.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "-q", p("revoke-tx.jsonl")]))

        sealer.write(Self.reading("heart_rate", "73", unit: "/min", seq: 7_002) + "\n")
        let after = waitForLines(2)
        try #require(after.count == 2)

        // A narrowed policy: researchers read nothing any more.
        let researcher = try KeyFile.readPublicKey(path: f.pub("researcher")).id.hex
        #expect(try Self.views(after[1])["research"]?.1.contains(researcher) == true)
        let policy = try String(contentsOfFile: f.base.dir.path("policy.json"), encoding: .utf8)
            .replacingOccurrences(of: #","researcher":["*"]"#, with: "")
        try Files.write(p("narrow.json"), Array(policy.utf8))
        let narrow = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "policy", "--key", f.base.authorityKey, p("narrow.json")]))
        try Files.write(p("narrow-tx.jsonl"), narrow.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "-q", p("narrow-tx.jsonl")]))
        sealer.write(Self.reading("heart_rate", "74", unit: "/min", seq: 7_003) + "\n")
        let narrowed = waitForLines(3)
        sealer.closeInput()
        #expect(sealer.wait(timeout: 30) == .success)
        try #require(narrowed.count == 3)
        #expect(try Self.views(narrowed[2])["research"] == nil, "a narrowed policy still seals for researchers")
        let full = try #require(try Self.views(after[1])["full"]?.1)
        #expect(!full.contains(physio), "a reading sealed after the revocation was mined is still wrapped for the revoked key")
        #expect(full.contains(try KeyFile.readPublicKey(path: f.pub("clinician")).id.hex))
        let err = (try? String(contentsOfFile: p("live.err"), encoding: .utf8)) ?? ""
        #expect(err.contains(String(physio.prefix(16))) && err.contains("no longer"), "\(err)")
        #expect(err.contains("no longer sealing for \(researcher.prefix(16))"), "\(err)")
    }
}
