import EHXShared
import Foundation
import Testing

/// The weak-key rule end to end: a grant carrying the Ed25519 identity
/// point is refused by ehx-keygen, ehx-mine and ehx-verify, each naming
/// `weak-key`.
@Suite struct EndToEndWeakKey {
    /// The identity point (y = 1): with it as the key, R = identity and
    /// S = 0 verify for any message.
    static let identity = [0x01] + [UInt8](repeating: 0, count: 31)

    /// An authority and a miner, a genesis at the easiest bits, and the
    /// identity point as a public key file.
    struct Setup {
        let dir: Scratch
        var p: (String) -> String { dir.path }
        var chain: String { p("chain.jsonl") }

        init(_ label: String) throws {
            dir = try Scratch(label)
            for role in ["authority", "miner"] {
                _ = try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", role, "-o", dir.path(role)]))
            }
            _ = try ChainFixture.check(Tool.run("ehx-keygen", [
                "genesis", "--authority", dir.path("authority.key"), "--bits", "207fffff", "--name", "weak",
                "--grant", "miner=" + dir.path("miner.pub"), "-o", dir.path("chain.jsonl"),
            ]))
            try KeyFile.writePublicKey(try Ed25519.PublicKey(rawRepresentation: EndToEndWeakKey.identity), path: dir.path("identity.pub"))
        }

        /// The authority's grant of `role` to the identity point, signed.
        func grant() throws -> Transaction {
            let authority = try KeyFile.readPrivateKey(path: p("authority.key"), passphrase: nil)
            let body = KeyChange(action: .grant, role: .gateway, key: try Ed25519.PublicKey(rawRepresentation: EndToEndWeakKey.identity))
            return try Transaction.sign(type: .key, body: body.json, key: authority)
        }
    }

    @Test func keygenRefusesTheIdentityPoint() throws {
        let s = try Setup("weak-keygen")
        defer { s.dir.remove() }
        let grant = try Tool.run("ehx-keygen", ["grant", "--role", "gateway", "--key", s.p("identity.pub")])
        #expect(grant.status == 65, "\(grant)")
        #expect(grant.err.contains("identity.pub") && grant.err.contains("weak-key"), "\(grant)")
        #expect(grant.out.isEmpty)
        let genesis = try Tool.run("ehx-keygen", [
            "genesis", "--authority", s.p("authority.key"), "--bits", "207fffff",
            "--grant", "gateway=" + s.p("identity.pub"), "-o", s.p("other.jsonl"),
        ])
        #expect(genesis.status == 65, "\(genesis)")
        #expect(genesis.err.contains("weak-key"), "\(genesis)")
        #expect(!FileManager.default.fileExists(atPath: s.p("other.jsonl")))
    }

    @Test func mineRefusesAGrantOfTheIdentityPoint() throws {
        let s = try Setup("weak-mine")
        defer { s.dir.remove() }
        let line = String(decoding: try s.grant().json.canonicalBytes() + [0x0a], as: UTF8.self)
        let mined = try Tool.run("ehx-mine", ["--chain", s.chain, "--key", s.p("miner.key"), "--rejects", s.p("rejects.jsonl")],
                                 stdin: .data(Data(line.utf8)))
        #expect(mined.status == 65, "\(mined)")
        let rejects = try String(contentsOfFile: s.p("rejects.jsonl"), encoding: .utf8)
        #expect(rejects.contains("weak-key"), "\(rejects)")
        #expect(try Files.lines(s.chain).count == 1, "nothing was mined")
    }

    @Test func verifyRefusesAChainGrantingTheIdentityPoint() throws {
        let s = try Setup("weak-verify")
        defer { s.dir.remove() }
        let before = try Tool.run("ehx-verify", [s.chain])
        #expect(before.status == 0, "\(before)")
        _ = try Forge.appendBlock(to: s.chain, minerKey: s.p("miner.key"), transactions: [try s.grant()])
        let report = VerifyReport(file: s.chain, result: try Tool.run("ehx-verify", [s.chain]))
        #expect(report.status == 1, "\(report)")
        #expect(report.rules(onLine: 2) == ["weak-key"], "\(report)")
    }
}
