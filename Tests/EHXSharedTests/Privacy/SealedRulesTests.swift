import Testing
@testable import EHXShared

/// Issue 15 item 7: a sealed body is bound to its transaction's type and
/// signer, and (rules 2) no body on the chain is wrapped for a key that may
/// not read it at its block.
@Suite struct SealedRulesTests {
    func rules(_ problems: [ChainProblem]?) -> Set<ChainProblem.Rule> { Set((problems ?? []).map(\.rule)) }

    /// A rules-2 privacy chain whose gateway is bound to bed1's pseudonym.
    func boundChain() throws -> PrivacyChain {
        var p = try PrivacyChain(rulesVersion: 2)
        let bind = KeyChange(action: .grant, role: .gateway, key: p.chain.gateway.publicKey, devices: [p.pseudonyms.device("bed1")])
        _ = try p.chain.append([try p.chain.signed(bind.json, type: .key, by: p.chain.authority)])
        return p
    }

    @Test func aBodyMovedToAnotherTypeOrSignerDoesNotOpen() throws {
        let p = try PrivacyChain()
        let (json, sealed) = try p.sealed(p.chain.reading(seq: 1))
        #expect(json["sealed"]?["aad"] == .string(SealedBody.boundDomain))
        let gateway = p.chain.gateway.publicKey
        guard case .opened = Sealing.open(sealed, kid: p.clinician.kid, key: p.clinician.enc, type: .reading, signer: gateway) else {
            Issue.record("the body does not open where it was sealed"); return
        }
        // A device key re-signs the body as an alert: the clinician must not read it as one.
        guard case .tampered = Sealing.open(sealed, kid: p.clinician.kid, key: p.clinician.enc, type: .alert, signer: gateway) else {
            Issue.record("a reading's body opened as an alert"); return
        }
        let other = try Ed25519.PrivateKey().publicKey
        guard case .tampered = Sealing.open(sealed, kid: p.clinician.kid, key: p.clinician.enc, type: .reading, signer: other) else {
            Issue.record("a body opened under another signer"); return
        }
        // Dropping the marker does not downgrade it: the old associated data does not match.
        let legacy = try SealedBody(parsing: try dropAAD(json))
        #expect(!legacy.bindsTransaction)
        guard case .tampered = Sealing.open(legacy, kid: p.clinician.kid, key: p.clinician.enc, type: .alert, signer: other) else {
            Issue.record("a body without its marker opened"); return
        }
    }

    func dropAAD(_ json: JSONValue) throws -> JSONValue {
        var sealed = try #require(json["sealed"]?.objectValue)
        sealed["aad"] = nil
        return try edit(json, ["sealed"], .object(sealed))
    }

    @Test func aRulesTwoChainNeedsTheBinding() throws {
        var p = try boundChain()
        let (json, _) = try p.sealed(p.chain.reading(device: "bed1", seq: 1, ts: p.chain.ts()))
        _ = try p.chain.append([try p.chain.signed(json)])
        #expect(p.chain.validate().isEmpty, "\(p.chain.validate())")
        p.chain.blocks.removeLast()
        let (json2, _) = try p.sealed(p.chain.reading(device: "bed1", seq: 2, ts: p.chain.ts()))
        _ = try p.chain.append([try p.chain.signed(try dropAAD(json2))])
        #expect(rules(p.chain.validate()[3]) == [.sealBinding])
        // A rules-1 chain keeps bodies sealed before the binding.
        var old = try PrivacyChain()
        let (json3, _) = try old.sealed(old.chain.reading(seq: 1))
        _ = try old.chain.append([try old.chain.signed(try dropAAD(json3))])
        #expect(old.chain.validate().isEmpty, "\(old.chain.validate())")
    }

    @Test func noBodyIsWrappedForAReaderRevokedBeforeItsBlock() throws {
        var p = try boundChain()
        // Sealed while the clinician could read, mined after the revocation took effect.
        let (json, _) = try p.sealed(p.chain.reading(device: "bed1", seq: 1, ts: p.chain.ts()))
        let revoke = KeyChange(action: .revoke, role: .clinician, key: p.clinician.signing.publicKey)
        _ = try p.chain.append([try p.chain.signed(revoke.json, type: .key, by: p.chain.authority)])
        let stale = try p.chain.signed(json)
        _ = try p.chain.append([stale])
        let problems = p.chain.validate()[4] ?? []
        #expect(rules(problems) == [.sealedReader], "\(problems)")
        #expect(problems.first?.detail.contains(p.clinician.kid.prefix(16)) == true)
        // The miner refuses it too; sealed again at the new tip, it is taken.
        p.chain.blocks.removeLast()
        var validator = ChainValidator(now: p.chain.clock + 60)
        for block in p.chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        var candidate = validator.candidate()
        #expect(rules(candidate.admit(stale)) == [.sealedReader])
        let (fresh, _) = try p.sealed(p.chain.reading(device: "bed1", seq: 1, ts: p.chain.ts()))
        #expect(candidate.admit(try p.chain.signed(fresh)).isEmpty)
        // A researcher wrapped in the full view gets more than its policy gives: refused too.
        let recipients = validator.state.sealRecipients(kind: .heartRate).map {
            SealRecipient(kid: $0.kid, key: $0.key, view: .full)
        }
        let widened = try Sealing.seal(p.chain.reading(device: "bed1", seq: 2, ts: p.chain.ts()), type: .reading,
                                       signer: p.chain.gateway.publicKey, recipients: recipients, pseudonyms: p.pseudonyms)
        #expect(rules(candidate.admit(try p.chain.signed(widened))) == [.sealedReader])
    }

    @Test func sealedAlertsNameTheirSealedReadingOnce() throws {
        var p = try boundChain()
        let reading = p.chain.reading(device: "bed1", seq: 1, value: 135, ts: p.chain.ts())
        let alert: JSONValue = [
            "device": "bed1", "patient": "P-1", "seq": 1, "ts": reading["ts"] ?? .null, "kind": "heart_rate",
            "value": 135, "level": "low-medium", "reasons": ["heart_rate 135 /min scores 3 on NEWS2 (>=131)"],
            "ref": .string(SHA256.hash(reading.canonicalBytes()).hex),
        ]
        let (sealedReading, _) = try p.sealed(reading)
        let (sealedAlert, _) = try p.sealed(alert, type: .alert)
        let (sealedAgain, _) = try p.sealed(alert, type: .alert)
        _ = try p.chain.append([try p.chain.signed(sealedReading), try p.chain.signed(sealedAlert, type: .alert)])
        #expect(p.chain.validate().isEmpty, "\(p.chain.validate())")
        _ = try p.chain.append([try p.chain.signed(sealedAgain, type: .alert)])
        #expect(rules(p.chain.validate()[4]) == [.alertRepeat])
    }
}
