import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Keys and secrets (issue 9): secret files are made 0600 and refused when
/// group- or world-readable; a passphrase comes only from --passphrase-file
/// or EHX_PASSPHRASE, never an argument; and no secret (PSK, private key seed,
/// passphrase) ever appears in any tool's stdout or stderr.
@Suite struct EndToEndSecrets {
    static let passphrase = "correct horse battery staple 9"

    @Test func secretFilesAre0600AndRefusedWhenReadableByOthers() throws {
        let dir = try Scratch("secrets-modes")
        defer { dir.remove() }
        let p = dir.path
        let f = try ChainFixture.make(in: dir, sampleLines: 12, maxTxs: 4)
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "clinician", "--enc", "-o", p("doc")]))
        try ChainFixture.check(Tool.run("ehx-keygen", ["pseudonym", "-o", p("pseudo.key")]))
        let state = p("ingest.state")
        try ChainFixture.check(Tool.run("ehx-ingest", ["-q", "--psk", f.psk, "--state", state, f.readings]), allowing: [0, 65])
        for secret in [f.authorityKey, f.gatewayKey, f.minerKey, f.psk, p("doc.key"), p("doc.enc.key"), p("pseudo.key"), state] {
            #expect(try Files.mode(secret) == 0o600, "\(secret) must be created 0600")
        }
        for pub in [f.gatewayPub, p("doc.pub")] { #expect(try Files.mode(pub) & 0o077 != 0o077) }

        // Each secret, made group- or world-readable, is refused by the tool that reads it.
        let uses: [(String, String, [String])] = [
            (f.gatewayKey, "ehx-sign", ["--key", f.gatewayKey, f.accepted]),
            (f.psk, "ehx-ingest", ["--psk", f.psk, f.readings]),
            (f.psk, "ehx-sign", ["--psk", f.psk, f.raw]),
            (f.minerKey, "ehx-mine", ["--chain", f.chain, "--key", f.minerKey, f.txs]),
            (state, "ehx-ingest", ["--psk", f.psk, "--state", state, f.readings]),
            (p("pseudo.key"), "ehx-sign", ["--seal", "--chain", f.chain, "--genesis", f.genesisHash, "--pseudonym-key", p("pseudo.key"), "--key", f.gatewayKey, f.accepted]),
        ]
        for (secret, tool, args) in uses {
            for mode in [0o640, 0o604] {
                try Files.chmod(secret, mode)
                defer { try? Files.chmod(secret, 0o600) }
                let r = try Tool.run(tool, ["-q"] + args)
                #expect(r.status != 0 && !r.signaled, "\(tool) reads \(secret) at \(String(mode, radix: 8)): \(r)")
                #expect(r.stdout.isEmpty, "nothing is produced with an exposed secret: \(tool)")
                #expect(r.err.contains(secret) && r.errLines.count == 1, "\(r)")
            }
        }
    }

    @Test func aPassphraseIsNeverAnArgument() throws {
        let dir = try Scratch("secrets-passphrase")
        defer { dir.remove() }
        let p = dir.path
        // No tool takes a passphrase on the command line (visible in ps).
        for tool in Tool.names {
            let help = try Tool.run(tool, ["--help"])
            #expect(!help.out.contains("--passphrase ") && !help.out.contains("--passphrase=") && !help.out.contains("--password"),
                    "\(tool) --help offers a passphrase argument")
        }
        let r = try Tool.run("ehx-keygen", ["key", "--role", "gateway", "--passphrase", Self.passphrase, "-o", p("x")])
        #expect(r.status == 64, "\(r)")
        #expect(!r.err.contains(Self.passphrase), "the refused argument is not echoed")

        try Files.write(p("pass"), Array((Self.passphrase + "\n").utf8))
        try Files.chmod(p("pass"), 0o600)
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "gateway", "--passphrase-file", p("pass"), "-o", p("gw")]))
        #expect(try String(contentsOfFile: p("gw.key"), encoding: .utf8).contains("ENCRYPTED PRIVATE KEY"))
        let body = #"{"device":"d1","patient":"P","seq":1,"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":70,"unit":"/min"}"# + "\n"
        try Files.write(p("r.jsonl"), Array(body.utf8))
        let byFile = try Tool.run("ehx-sign", ["-q", "--key", p("gw.key"), "--passphrase-file", p("pass"), p("r.jsonl")])
        #expect(byFile.status == 0 && byFile.outLines.count == 1, "\(byFile)")
        let byEnv = try Tool.shell("EHX_PASSPHRASE=\(Faults.q(Self.passphrase)) exec ehx-sign -q --key \(Faults.q(p("gw.key"))) \(Faults.q(p("r.jsonl")))")
        #expect(byEnv.status == 0 && byEnv.outLines.count == 1, "\(byEnv)")
        let none = try Tool.run("ehx-sign", ["-q", "--key", p("gw.key"), p("r.jsonl")])
        #expect(none.status != 0 && none.stdout.isEmpty && none.errLines.count == 1, "\(none)")
        try Files.write(p("wrong"), Array("not it\n".utf8))
        // A passphrase file open to others is refused like a key file (issue 16).
        let open = try Tool.run("ehx-sign", ["-q", "--key", p("gw.key"), "--passphrase-file", p("wrong"), p("r.jsonl")])
        #expect(open.status == 77 && open.stdout.isEmpty && open.err.contains("chmod 600"), "\(open)")
        try Files.chmod(p("wrong"), 0o600)
        let wrong = try Tool.run("ehx-sign", ["-q", "--key", p("gw.key"), "--passphrase-file", p("wrong"), p("r.jsonl")])
        #expect(wrong.status != 0 && wrong.stdout.isEmpty && wrong.errLines.count == 1, "\(wrong)")
        #expect(wrong.err.lowercased().contains("passphrase"), "\(wrong)")
        for output in [byFile, byEnv, none, open, wrong] {
            #expect(!(output.out + output.err).contains(Self.passphrase))
            #expect(!(output.out + output.err).contains("not it"))
        }
    }

    /// A whole pipeline run, every tool's stdout and stderr kept; none of them
    /// holds a PSK, a private key's raw seed (base64url, base64 or hex) or a passphrase.
    @Test func noSecretInAnyOutputOfAFullPipeline() throws {
        let dir = try Scratch("secrets-pipeline")
        defer { dir.remove() }
        let p = dir.path
        var outputs: [ToolResult] = []
        func run(_ tool: String, _ args: [String], allowing: Set<Int32> = [0]) throws -> ToolResult {
            let r = try Tool.run(tool, args)
            outputs.append(r)
            return try ChainFixture.check(r, allowing: allowing)
        }
        try Files.write(p("pass"), Array((Self.passphrase + "\n").utf8))
        try Files.chmod(p("pass"), 0o600)
        for role in ["authority", "miner"] { _ = try run("ehx-keygen", ["key", "--role", role, "-o", p(role)]) }
        _ = try run("ehx-keygen", ["key", "--role", "gateway", "--passphrase-file", p("pass"), "-o", p("gateway")])
        _ = try run("ehx-keygen", ["key", "--role", "gateway", "-o", p("plain")])
        _ = try run("ehx-keygen", ["key", "--role", "clinician", "--enc", "-o", p("doc")])
        _ = try run("ehx-keygen", ["pseudonym", "-o", p("pseudo.key")])
        let devices = try String(contentsOfFile: Package.sampleDevices, encoding: .utf8).split(separator: "\n").map(String.init)
        for d in devices { _ = try run("ehx-keygen", ["psk", "--device", d, "--psk", p("devices.psk")]) }
        _ = try run("ehx-keygen", ["genesis", "--authority", p("authority.key"), "--bits", "207fffff", "--name", "secrets",
                                   "--grant", "gateway=" + p("gateway.pub"), "--grant", "gateway=" + p("plain.pub"),
                                   "--grant", "miner=" + p("miner.pub"), "-o", p("chain.jsonl"),
                                   "--bind", p("gateway.pub") + "=@" + p("devices.psk"), "--bind", p("plain.pub") + "=@" + p("devices.psk")])
        try Files.writeLines(p("raw.jsonl"), Array(try Files.lines(Package.sampleReadings).prefix(120)))
        try Files.write(p("readings.jsonl"), try run("ehx-sign", ["--psk", p("devices.psk"), p("raw.jsonl")], allowing: [0, 65]).stdout)
        try Files.write(p("accepted.jsonl"), try run("ehx-ingest", ["--psk", p("devices.psk"), "--state", p("state"), "--alerts", "-",
                                                                    p("readings.jsonl")], allowing: [0, 65]).stdout)
        try Files.write(p("txs.jsonl"), try run("ehx-sign", ["--key", p("gateway.key"), "--passphrase-file", p("pass"), p("accepted.jsonl")]).stdout)
        try Files.write(p("txs2.jsonl"), try run("ehx-sign", ["--key", p("plain.key"), p("accepted.jsonl")]).stdout)
        _ = try run("ehx-mine", ["--chain", p("chain.jsonl"), "--key", p("miner.key"), "--max-txs", "50", p("txs.jsonl")])
        _ = try run("ehx-mine", ["--chain", p("chain.jsonl"), "--key", p("miner.key"), "--max-txs", "50", "--rejects", p("rej"), p("txs2.jsonl")], allowing: [0, 65])
        _ = try run("ehx-verify", ["--summary", p("chain.jsonl")])
        _ = try run("ehx-verify", ["--json", p("chain.jsonl")])
        _ = try run("ehx-query", ["--chain", p("chain.jsonl"), "txs"])
        _ = try run("ehx-query", ["--chain", p("chain.jsonl"), "tip"])
        // Failures print secrets' paths, never their contents.
        _ = try run("ehx-sign", ["--key", p("gateway.key"), p("accepted.jsonl")], allowing: [64, 65, 66, 77, 78, 1])
        try Files.write(p("wrong"), Array("wrong\n".utf8))
        _ = try run("ehx-sign", ["--key", p("gateway.key"), "--passphrase-file", p("wrong"), p("accepted.jsonl")], allowing: [64, 65, 66, 77, 78, 1])

        // The secrets, in every encoding a careless message might use.
        var secrets: [String: String] = ["passphrase": Self.passphrase]
        let psk = try JSONLine.object(Data(try Files.bytes(p("devices.psk"))))
        for (device, entry) in psk["devices"] as? [String: Any] ?? [:] {
            guard let key = (entry as? [String: Any])?["key"] as? String else { continue }
            secrets["psk \(device)"] = key
            if let raw = Base64URL.decode(key) { secrets["psk \(device) hex"] = Hex.encode(raw) }
        }
        #expect(secrets.count > 2, "PSKs found in the PSK file")
        for name in ["authority", "miner", "plain", "doc"] {
            // The raw 32-byte seed, as openssl extracts it from the PKCS#8 DER.
            let der = try Tool.run("/bin/sh", ["-c", "openssl pkey -in \(Faults.q(p(name + ".key"))) -outform DER"])
            try #require(der.status == 0, "\(der)")
            let seed = Array([UInt8](der.stdout).suffix(32))
            secrets["\(name) seed b64url"] = Base64URL.encode(seed)
            secrets["\(name) seed base64"] = Data(seed).base64EncodedString()
            secrets["\(name) seed hex"] = Hex.encode(seed)
        }
        let pem = try String(contentsOfFile: p("plain.key"), encoding: .utf8)
        secrets["plain PEM body"] = pem.split(separator: "\n").dropFirst().first.map(String.init) ?? "-"

        #expect(outputs.count > 15)
        for r in outputs {
            let text = r.out + r.err
            for (name, value) in secrets where value.count >= 16 {
                #expect(!text.contains(value), "\(name) appears in the output of \(r.tool)")
                let stem = String(value.prefix(22)) // a truncated print
                #expect(!text.contains(stem), "\(name) (a prefix) appears in the output of \(r.tool)")
            }
        }
    }

    /// Issue 16, item 7: a key, PSK or passphrase file another user owns
    /// could have been swapped by that user: refused (77), as ssh does.
    @Test func secretFilesOwnedByAnotherUserAreRefused() throws {
        guard geteuid() == 0 else { return } // needs chown
        let dir = try Scratch("secrets-owner")
        defer { dir.remove() }
        let p = dir.path
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "gateway", "-o", p("gw")]))
        try ChainFixture.check(Tool.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("d.psk")]))
        try Files.write(p("pass"), Array("correct horse\n".utf8))
        try Files.chmod(p("pass"), 0o600)
        let body = #"{"device":"bed1","patient":"P","seq":1,"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":70,"unit":"/min"}"# + "\n"
        try Files.write(p("r.jsonl"), Array(body.utf8))
        for file in ["gw.key", "d.psk", "pass"] { #expect(chown(p(file), 65534, 65534) == 0) }
        let cases: [(String, [String])] = [
            ("ehx-sign", ["--key", p("gw.key"), p("r.jsonl")]),
            ("ehx-ingest", ["--psk", p("d.psk"), p("r.jsonl")]),
            ("ehx-keygen", ["key", "--role", "gateway", "--passphrase-file", p("pass"), "-o", p("other")]),
        ]
        for (tool, args) in cases {
            let r = try Tool.run(tool, args)
            #expect(r.status == 77, "\(tool): \(r)")
            #expect(r.err.contains("owned by uid 65534"), "\(tool): \(r)")
            #expect(r.stdout.isEmpty)
        }
    }
}
