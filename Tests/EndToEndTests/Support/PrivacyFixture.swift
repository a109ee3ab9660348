import EHXShared
import Foundation

/// A ChainFixture whose readings and alerts are sealed: reader keys made
/// with `ehx-keygen key --enc`, granted with `ehx-keygen grant`, the issue-7
/// policy (clinicians and physios everything, researchers the research view,
/// auditors metadata, an emergency key), then `ehx-sign --seal` and mining.
struct PrivacyFixture {
    let base: ChainFixture
    let sealedTxs: String
    let pseudonymKey: String
    var chain: String { base.chain }
    func key(_ name: String) -> String { base.dir.path(name + ".key") }
    func pub(_ name: String) -> String { base.dir.path(name + ".pub") }

    /// clinician, physio, researcher, auditor: granted with their X25519 keys;
    /// nurse: a clinician granted without one (only break-glass opens for her);
    /// outsider: never granted; emergency: the policy's break-glass key.
    /// `store`: seal into this blob store (ehx-sign --store) instead of inline.
    static func make(in dir: Scratch, sampleLines: Int = 120, store: String? = nil) throws -> PrivacyFixture {
        let f = try ChainFixture.make(in: dir, sampleLines: sampleLines, mine: false, bindDevices: false)
        let p = dir.path
        var encKeys: [String: String] = [:]
        for (name, role) in [("clinician", "clinician"), ("physio", "physio"), ("researcher", "researcher"), ("auditor", "auditor"),
                             ("nurse", "clinician"), ("outsider", "clinician"), ("emergency", "auditor")] {
            let made = try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", role, "--enc", "-o", p(name)]))
            encKeys[name] = try JSONLine.object(made.out)["enc"] as? String
        }
        var bodies: [String] = []
        for name in ["clinician", "physio", "researcher", "auditor"] {
            bodies.append(try ChainFixture.check(Tool.run("ehx-keygen", [
                "grant", "--role", name, "--key", p(name + ".pub"), "--enc", p(name + ".enc.pub")])).out)
        }
        bodies.append(try ChainFixture.check(Tool.run("ehx-keygen", ["grant", "--role", "clinician", "--key", p("nurse.pub")])).out)
        // Sealed readings carry device pseudonyms: the gateway is bound to those too (rules 2).
        try ChainFixture.check(Tool.run("ehx-keygen", ["pseudonym", "-o", p("pseudonym.key")]))
        bodies.append(try ChainFixture.check(Tool.run("ehx-keygen", [
            "grant", "--role", "gateway", "--key", f.gatewayPub, "--psk", f.psk, "--pseudonym-key", p("pseudonym.key")])).out)
        try Files.write(p("grants.jsonl"), Data(bodies.joined().utf8))
        let keyTxs = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "key", "--key", f.authorityKey, p("grants.jsonl")]))
        let policy = """
            {"read":{"clinician":["*"],"physio":["*"],"researcher":["*"]},"view":{"researcher":"research","auditor":"metadata"},"emergency":"\(encKeys["emergency"] ?? "")"}

            """
        try Files.write(p("policy.json"), Data(policy.utf8))
        let policyTx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "policy", "--key", f.authorityKey, p("policy.json")]))
        try Files.write(p("setup-txs.jsonl"), keyTxs.stdout + policyTx.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "-q", p("setup-txs.jsonl")]))

        let sealed = try ChainFixture.check(Tool.run("ehx-sign", [
            "--seal", "--chain", f.chain, "--genesis", f.genesisHash, "--pseudonym-key", p("pseudonym.key"), "--key", f.gatewayKey, f.accepted]
            + (store.map { ["--store", $0] } ?? [])))
        try Files.write(p("sealed-txs.jsonl"), sealed.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "50", "-q", p("sealed-txs.jsonl")]))
        return PrivacyFixture(base: f, sealedTxs: p("sealed-txs.jsonl"), pseudonymKey: p("pseudonym.key"))
    }

    /// `ehx-query txs` as `reader`, each output line parsed; any exit status.
    func read(_ reader: String, _ extra: [String] = [], store: String? = nil, chain path: String? = nil) throws -> (ToolResult, [[String: Any]]) {
        let result = try Tool.run("ehx-query", ["--chain", path ?? chain] + (store.map { ["--store", $0] } ?? []) + ["txs", "--key", key(reader)] + extra)
        return (result, try result.outLines.map { try JSONLine.object($0) })
    }

    /// Patient and device ids in the sample used.
    func identifiers() throws -> Set<String> {
        var ids: Set<String> = []
        for line in try ChainFixture.readingLines(base.accepted) {
            let o = try JSONLine.object(Data(line))
            if let p = o["patient"] as? String { ids.insert(p) }
            if let d = o["device"] as? String { ids.insert(d) }
        }
        return ids
    }
}
