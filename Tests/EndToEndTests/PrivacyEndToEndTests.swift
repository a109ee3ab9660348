import EHXShared
import Foundation
import Testing

@Suite struct EndToEndPrivacy {
    @Test func eachRoleSeesWhatThePolicyAllows() throws {
        let dir = try Scratch("privacy-roles")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir)
        let verdict = try f.base.verify()
        #expect(verdict.status == 0, "\(verdict)")

        // The chain holds no patient or device id, and no reading value by name.
        let chainText = String(decoding: try Files.bytes(f.chain), as: UTF8.self)
        let ids = try f.identifiers()
        #expect(!ids.isEmpty)
        for id in ids { #expect(!chainText.contains("\"\(id)\""), "\(id) is on the chain") }
        #expect(!chainText.contains("\"value\""))

        let sealedCount = f.base.txCount
        // Clinician and physio: every reading and alert, full, ids included.
        for reader in ["clinician", "physio"] {
            let (result, lines) = try f.read(reader, ["--require-open"])
            #expect(result.status == 0, "\(result)")
            let opened = lines.filter { $0["status"] as? String == "opened" }
            #expect(opened.count == sealedCount, "\(reader)")
            #expect(opened.allSatisfy { $0["view"] as? String == "full" })
            let readings = opened.filter { $0["type"] as? String == "reading" }.compactMap { $0["body"] as? [String: Any] }
            #expect(readings.count == f.base.acceptedCount)
            #expect(readings.allSatisfy { ($0["patient"] as? String)?.hasPrefix("P-") == true && $0["mac"] != nil })
        }
        // The opened readings are exactly what the gateway accepted.
        let (_, clinician) = try f.read("clinician", ["--type", "reading"])
        let accepted = try ChainFixture.readingLines(f.base.accepted).map { String(decoding: $0, as: UTF8.self) }
        let openedBodies = try clinician.map { line -> String in
            let body = try JSONSerialization.data(withJSONObject: line["body"] ?? [:], options: [.sortedKeys])
            return String(decoding: body, as: UTF8.self)
        }
        let acceptedSorted = try accepted.map { line -> String in
            let object = try JSONLine.object(line)
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(openedBodies == acceptedSorted)

        // Researcher: values, kind, time and a pseudonym; never an id.
        let (rResult, research) = try f.read("researcher", ["--type", "reading", "--require-open"])
        #expect(rResult.status == 0, "\(rResult)")
        #expect(research.count == f.base.acceptedCount)
        for line in research {
            #expect(line["status"] as? String == "opened" && line["view"] as? String == "research")
            let body = try #require(line["body"] as? [String: Any])
            #expect(Set(body.keys).isSubset(of: ["kind", "ts", "value", "unit", "samples", "patient"]), "\(body.keys)")
            #expect(body["value"] != nil && body["kind"] != nil && body["ts"] != nil)
            let pseudonym = try #require(body["patient"] as? String)
            #expect(pseudonym.count == 64 && !ids.contains(pseudonym))
        }
        let researchText = rResult.out
        for id in ids { #expect(!researchText.contains("\"\(id)\"")) }
        // The same patient gets the same pseudonym across readings.
        #expect(Set(research.compactMap { ($0["body"] as? [String: Any])?["patient"] as? String }).count
                == Set(clinician.compactMap { ($0["body"] as? [String: Any])?["patient"] as? String }).count)

        // Auditor: metadata only, and --require-open says so with 77.
        let (aResult, audit) = try f.read("auditor", ["--require-open"])
        #expect(aResult.status == 77, "\(aResult)")
        let sealedLines = audit.filter { $0["status"] as? String != "plain" }
        #expect(sealedLines.count == sealedCount)
        #expect(sealedLines.allSatisfy { $0["status"] as? String == "not a recipient" && $0["view"] as? String == "metadata" })
        for line in sealedLines {
            let body = try #require(line["body"] as? [String: Any])
            #expect(Set(body.keys) == ["kind", "ts", "seq", "patient", "device"])
        }
        // Outsider (never granted) and nurse (granted, no X25519 key on the chain): nothing.
        let (oResult, outsider) = try f.read("outsider", ["--require-open"])
        #expect(oResult.status == 77, "\(oResult)")
        #expect(!outsider.contains { $0["status"] as? String == "opened" })
        #expect(!oResult.out.contains("\"P-0"))
        let (nResult, _) = try f.read("nurse", ["--require-open", "--enc-key", f.base.dir.path("nurse.enc.key")])
        #expect(nResult.status == 77, "\(nResult)")
    }

    @Test func tamperingIsCaughtAndNeverShown() throws {
        let dir = try Scratch("privacy-tamper")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 40)
        let lines = try f.base.chainLines()
        let height = lines.count - 1
        let block = try ChainLine.parse(lines[height])
        guard case .array(let txs)? = block.value(at: ["txs"]) else { throw TestFailure("no txs") }
        let index = try #require(txs.firstIndex { $0.value(at: ["type"]) == .string("reading") })
        let txid = try Transaction(parsing: txs[index]).txid.hex

        func flipBase64(_ value: JSONValue?) throws -> JSONValue {
            let text = try #require(value?.stringValue)
            var bytes = try #require(Base64URL.decode(text))
            bytes[bytes.count / 2] ^= 0x04
            return .string(Base64URL.encode(bytes))
        }
        let clinicianKid = try KeyFile.readPublicKey(path: f.pub("clinician")).id.hex
        let entries = try #require(txs[index].value(at: ["body", "sealed", "full", "to"])?.arrayValue)
        let entry = try #require(entries.firstIndex { $0["kid"]?.stringValue == clinicianKid })
        let edits: [(String, [JSONPathItem], JSONValue)] = [
            ("ciphertext", ["body", "sealed", "full", "ct"], try flipBase64(txs[index].value(at: ["body", "sealed", "full", "ct"]))),
            ("wrapped key", ["body", "sealed", "full", "to", .index(entry), "key"],
             try flipBase64(txs[index].value(at: ["body", "sealed", "full", "to", .index(entry), "key"]))),
            ("clear part", ["body", "ts"], "2026-11-26T23:59:59.999Z"),
        ]
        for (name, path, value) in edits {
            var edited = lines
            try ChainFixture.editBlock(&edited, height) { $0.setting(["txs", .index(index)] + path, to: value) }
            let copy = dir.path("tampered-\(name.replacingOccurrences(of: " ", with: "-")).jsonl")
            try Files.writeLines(copy, edited)

            let (result, out) = try f.read("clinician", [], chain: copy)
            #expect(result.status == 1, "\(name): \(result)")
            // The txid is of the edited tx now; find the line by position among the block's txs.
            let bad = out.filter { $0["status"] as? String == "tampered" }
            #expect(bad.count == 1, "\(name)")
            #expect(bad.first?["body"] == nil, "\(name): a tampered body was shown")
            #expect(result.err.contains("tampered") || result.err.contains("failed authentication"), "\(name)")
            // Everything else still opens.
            #expect(out.filter { $0["status"] as? String == "opened" }.count == f.base.txCount - 1, "\(name)")
            // And ehx-verify reports it (the signature no longer holds).
            let verdict = try f.base.verify(copy)
            #expect(verdict.status == 1, "\(name)")
            #expect(verdict.problems.contains { $0.rule == "signature" }, "\(name): \(verdict)")
        }
        _ = txid
    }

    @Test func revokedKeysAreRefusedByMineAndReportedByVerify() throws {
        let dir = try Scratch("privacy-revoke")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 40)
        let p = dir.path
        // Revoke the researcher's role.
        let revoke = try ChainFixture.check(Tool.run("ehx-keygen", ["revoke", "--role", "researcher", "--key", f.pub("researcher")]))
        try Files.write(p("revoke.json"), revoke.stdout)
        let revokeTx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "key", "--key", f.base.authorityKey, p("revoke.json")]))
        try Files.write(p("revoke-tx.jsonl"), revokeTx.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "-q", p("revoke-tx.jsonl")]))

        // Its access record, signed after the revocation, is refused by ehx-mine...
        let access = #"{"txids":["\#(String(repeating: "ab", count: 32))"],"reason":"study 12"}"# + "\n"
        try Files.write(p("access.json"), Data(access.utf8))
        let accessTx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "access", "--key", f.key("researcher"), p("access.json")]))
        try Files.write(p("access-tx.jsonl"), accessTx.stdout)
        let mined = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "--rejects", p("mine-rejects.jsonl"), p("access-tx.jsonl")])
        #expect(mined.status == 65, "\(mined)")
        let rejects = try Files.jsonObjects(p("mine-rejects.jsonl"))
        #expect(rejects.count == 1 && (rejects.first?["reason"] as? String ?? "").contains("role"), "\(rejects)")
        // ...and reported by ehx-verify when a miner forges it in anyway.
        let tx = try Transaction(parsing: try JSONValue.parse(Array(accessTx.stdout.dropLast())))
        let forgedCopy = try f.base.copy("forged.jsonl")
        _ = try Forge.appendBlock(to: forgedCopy, minerKey: f.base.minerKey, transactions: [tx])
        let verdict = try f.base.verify(forgedCopy)
        #expect(verdict.status == 1)
        #expect(verdict.problems.contains { $0.rule == "role" }, "\(verdict)")

        // New readings are no longer sealed for the revoked key; old ones stay
        // readable by it (man ehx.7, REVOCATION).
        let later = #"{"device":"bed12-mon","patient":"P-0001","seq":99999999,"ts":"2026-11-26T12:00:00.000Z","kind":"spo2","value":97,"unit":"%"}"# + "\n"
        try Files.write(p("later.jsonl"), Data(later.utf8))
        let sealed = try ChainFixture.check(Tool.run("ehx-sign", [
            "--seal", "--chain", f.chain, "--genesis", f.base.genesisHash, "--pseudonym-key", f.pseudonymKey, "--key", f.base.gatewayKey, p("later.jsonl")]))
        try Files.write(p("later-tx.jsonl"), sealed.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "-q", p("later-tx.jsonl")]))
        let laterTxid = try Transaction(parsing: try JSONValue.parse(Array(sealed.stdout.dropLast()))).txid.hex
        let (_, lines) = try f.read("researcher", ["--type", "reading"])
        #expect(lines.first { $0["txid"] as? String == laterTxid }?["status"] as? String == "not a recipient")
        #expect(lines.filter { $0["status"] as? String == "opened" }.count == f.base.acceptedCount)
        #expect(try f.base.verify().status == 0)
    }

    @Test func everyAuditSpoolOpeningEndsUpOnTheChain() throws {
        let dir = try Scratch("privacy-audit")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 60)
        let spool = dir.path("spool")

        let (cResult, clinician) = try f.read("clinician", ["--type", "reading", "--audit-spool", spool, "--reason", "ward round"])
        #expect(cResult.status == 0, "\(cResult)")
        let (rResult, research) = try f.read("researcher", ["--audit-spool", spool, "--reason", "study 12"])
        #expect(rResult.status == 0, "\(rResult)")
        // Break-glass: a clinician with no X25519 key opens through the emergency key.
        let pseudonym = try #require(try Files.textLines(f.sealedTxs).lazy.compactMap {
            ((try JSONLine.object($0))["body"] as? [String: Any])?["patient"] as? String }.first)
        let (eResult, emergency) = try f.read("nurse", ["--type", "reading", "--break-glass", f.base.dir.path("emergency.enc.key"),
                                                        "--patient", pseudonym, "--since", "2026-11-26T00:00:00Z", "--until", "2026-11-27T00:00:00Z",
                                                        "--audit-spool", spool, "--reason", "code blue bed 12"])
        #expect(eResult.status == 0, "\(eResult)")
        #expect(!emergency.isEmpty && emergency.allSatisfy { $0["via"] as? String == "emergency" && $0["view"] as? String == "full" })
        // Break-glass without a spool is refused.
        let (noSpool, _) = try f.read("nurse", ["--break-glass", f.base.dir.path("emergency.enc.key")])
        #expect(noSpool.status == 64, "\(noSpool)")

        let files = try FileManager.default.contentsOfDirectory(atPath: spool + "/new").sorted()
        #expect(files.count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/tmp").isEmpty)
        // Mine the spool (cat DIR/new/* | ehx-mine), as cron would.
        let mined = try Tool.shell("cat '\(spool)'/new/* | ehx-mine --chain '\(f.chain)' --key '\(f.base.minerKey)' -q")
        #expect(mined.status == 0, "\(mined)")
        #expect(try f.base.verify().status == 0)

        let onChain = try f.base.query(["txs", "--type", "access"]).outLines.map { try JSONLine.object($0) }
        var recorded: [String: Set<String>] = [:]  // reason -> txids
        var signers: [String: String] = [:]
        for tx in onChain {
            let body = try #require(tx["body"] as? [String: Any])
            let reason = try #require(body["reason"] as? String)
            recorded[reason, default: []].formUnion(body["txids"] as? [String] ?? [])
            signers[reason] = tx["signer"] as? String
        }
        func opened(_ lines: [[String: Any]]) -> Set<String> {
            Set(lines.filter { $0["status"] as? String == "opened" }.compactMap { $0["txid"] as? String })
        }
        #expect(recorded["ward round"] == opened(clinician))
        #expect(recorded["study 12"] == opened(research))
        #expect(recorded["emergency"] == opened(emergency))
        #expect(!(recorded["emergency"] ?? []).isEmpty)
        func raw(_ name: String) throws -> String { Base64URL.encode(try KeyFile.readPublicKey(path: f.pub(name)).rawRepresentation) }
        #expect(signers["ward round"] == (try raw("clinician")))
        #expect(signers["study 12"] == (try raw("researcher")))
        #expect(signers["emergency"] == (try raw("nurse")))
        let notes = onChain.compactMap { ($0["body"] as? [String: Any])?["note"] as? String }
        #expect(notes == ["code blue bed 12"])
    }

    @Test func keyFilesAreStrict() throws {
        let dir = try Scratch("privacy-keys")
        defer { dir.remove() }
        let p = dir.path
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "clinician", "--enc", "-o", p("doc")]))
        #expect(try Files.mode(p("doc.enc.key")) == 0o600)
        #expect(try Files.mode(p("doc.enc.pub")) == 0o644)
        if Tool.hasCommand("openssl") {
            let text = try Tool.run("/bin/sh", ["-c", "openssl pkey -in '\(p("doc.enc.key"))' -noout -text"])
            #expect(text.status == 0 && text.out.contains("X25519"), "\(text)")
        }
        try ChainFixture.check(Tool.run("ehx-keygen", ["pseudonym", "-o", p("pseudo")]))
        #expect(try Files.mode(p("pseudo")) == 0o600)
        // An enc key open to the group is refused (77) when reading.
        try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", "authority", "-o", p("auth")]))
        try ChainFixture.check(Tool.run("ehx-keygen", ["genesis", "--authority", p("auth.key"), "--bits", "207fffff", "-o", p("chain.jsonl")]))
        try Files.chmod(p("doc.enc.key"), 0o640)
        let result = try Tool.run("ehx-query", ["--chain", p("chain.jsonl"), "txs", "--key", p("doc.key")])
        #expect(result.status == 77, "\(result)")
        // A pseudonym key open to others is refused too.
        try Files.chmod(p("pseudo"), 0o644)
        let sign = try Tool.run("ehx-sign", ["--seal", "--chain", p("chain.jsonl"), "--genesis", String(repeating: "0", count: 64), "--pseudonym-key", p("pseudo"), "--key", p("auth.key")],
                                stdin: .data(Data()))
        #expect(sign.status == 77, "\(sign)")
        #expect(!sign.err.contains(String(decoding: try Files.bytes(p("pseudo")), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
