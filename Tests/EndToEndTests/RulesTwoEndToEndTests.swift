import EHXShared
import Foundation
import Testing

/// Issue 15 items 5 and 6 with the built tools: a key holder's forgeries on a
/// rules-2 chain are refused by ehx-mine and named by ehx-verify on their
/// line; a gateway run twice puts each alert on the chain once; a rules-1
/// chain keeps verifying as before.
@Suite struct EndToEndRulesTwo {
    /// A second gateway key granted by the authority, bound to no device.
    func rogueGateway(_ f: ChainFixture) throws -> Ed25519.PrivateKey {
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "gateway", "-o", f.dir.path("rogue")]))
        let grant = try ChainFixture.check(Tool.run("ehx-keygen", ["grant", "--role", "gateway", "--key", f.dir.path("rogue.pub")]))
        let tx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "key", "--key", f.authorityKey, "-q"], stdin: .data(Data(grant.stdout))))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "-q"], stdin: .data(tx.stdout)))
        return try KeyFile.readPrivateKey(path: f.dir.path("rogue.key"), passphrase: nil)
    }

    @Test func anUnboundKeyCannotSpeakForADeviceNorLockItOut() throws {
        let dir = try Scratch("rules2-binding")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 120)
        let rogue = try rogueGateway(f)
        // A real device's reading, no MAC, seq 2^53, year 9000.
        let body = try Forge.readingBody(in: f.chain, height: 1)
            .setting(["seq"], to: .number(9_007_199_254_740_992)).setting(["mac"], to: nil)
            .setting(["ts"], to: "9000-01-01T00:00:00.000Z")
        let tx = try Transaction.sign(type: .reading, body: body, key: rogue)
        let mined = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey], stdin: .data(Data(tx.leaf + [0x0a])))
        #expect(mined.status == 65, "\(mined)")
        #expect(mined.err.contains("device-binding") && mined.err.contains("stdin:1:"), "\(mined)")
        // Appended by a forger holding the miner key: ehx-verify names both rules on that line.
        _ = try Forge.appendBlock(to: f.chain, minerKey: f.minerKey, transactions: [tx])
        let line = try f.chainLines().count
        let report = try f.verify()
        #expect(report.status == 1, "\(report)")
        #expect(report.rules(onLine: line) == ["device-binding", "reading-time"], "\(report)")
        #expect(report.problems.allSatisfy { $0.line == line && $0.text.contains("tx \(tx.txid.hex)") }, "\(report)")
    }

    @Test func aGatewayRunTwicePutsEachAlertOnTheChainOnce() throws {
        let dir = try Scratch("rules2-alerts")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 400)
        try #require(f.alertCount > 0)
        // ehx-ingest again over the same file without --state: new alert txids, same readings.
        let again = try ChainFixture.check(Tool.run("ehx-ingest", ["--psk", f.psk, f.readings]), allowing: [0, 65])
        let txs = try ChainFixture.check(Tool.run("ehx-sign", ["--key", f.gatewayKey, "-q"], stdin: .data(again.stdout)))
        let alerts = try txs.outLines.filter { try JSONLine.object($0)["type"] as? String == "alert" }
        #expect(alerts.count == f.alertCount)
        let spool = dir.path("spool")
        for (i, line) in alerts.enumerated() {
            try FileManager.default.createDirectory(atPath: spool + "/new", withIntermediateDirectories: true)
            try Files.write(spool + "/new/1.\(i).1.\(i).x", Data((line + "\n").utf8))
        }
        for sub in ["tmp", "rejected"] { try FileManager.default.createDirectory(atPath: spool + "/" + sub, withIntermediateDirectories: true) }
        let mined = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--spool", spool])
        #expect(mined.status == 0, "\(mined)")
        #expect(mined.err.contains("\(alerts.count) already on the chain retired"), "\(mined)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/new").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/rejected").isEmpty)
        // From stdin too: retired with a note, not refused.
        let fromStdin = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey], stdin: .data(Data((alerts.joined(separator: "\n") + "\n").utf8)))
        #expect(fromStdin.status == 0 && fromStdin.err.contains("alert-repeat"), "\(fromStdin)")
        #expect(try f.verify().status == 0)
        // A forger's block with the repeat: ehx-verify flags it.
        let repeated = try Transaction(parsing: try JSONValue.parse(alerts[0]))
        _ = try Forge.appendBlock(to: f.chain, minerKey: f.minerKey, transactions: [repeated])
        let report = try f.verify()
        #expect(report.status == 1, "\(report)")
        #expect(report.rules(onLine: try f.chainLines().count) == ["alert-repeat"], "\(report)")
    }

    @Test func aRulesOneChainVerifiesAsBefore() throws {
        let dir = try Scratch("rules2-legacy")
        defer { dir.remove() }
        let p = dir.path
        for role in ["authority", "gateway", "miner"] {
            try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", role, "-o", p(role)]))
        }
        try ChainFixture.check(Tool.run("ehx-keygen", ["genesis", "--authority", p("authority.key"), "--bits", "207fffff", "--rules", "1",
                                                       "--grant", "gateway=" + p("gateway.pub"), "--grant", "miner=" + p("miner.pub"), "-o", p("chain.jsonl")]))
        #expect(!String(decoding: try Files.bytes(p("chain.jsonl")), as: UTF8.self).contains("\"rules\""))
        let reading = #"{"device":"any","patient":"P","seq":1,"ts":"9000-01-01T00:00:00.000Z","kind":"heart_rate","value":70,"unit":"/min"}"#
        let alert = #"{"type":"alert","body":{"device":"any","patient":"P","seq":1,"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":135,"level":"low-medium","reasons":["r"]}}"#
        let again = alert.replacingOccurrences(of: #"["r"]"#, with: #"["r again"]"#)
        let txs = try ChainFixture.check(Tool.run("ehx-sign", ["--key", p("gateway.key"), "-q"], stdin: .data(Data((reading + "\n" + alert + "\n" + again + "\n").utf8))))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", p("chain.jsonl"), "--key", p("miner.key"), "-q"], stdin: .data(txs.stdout)))
        let verify = try Tool.run("ehx-verify", [p("chain.jsonl")])
        #expect(verify.status == 0, "\(verify)")
        let bad = try Tool.run("ehx-keygen", ["genesis", "--authority", p("authority.key"), "--rules", "3", "-o", p("other.jsonl")])
        #expect(bad.status == 64, "\(bad)")
    }
}
