import Testing
@testable import EHXShared

/// A TestChain with readers: a clinician, a physio, a researcher and an
/// auditor, each with an Ed25519 and an X25519 key, granted by the authority,
/// and the policy of issue 7 in force.
struct PrivacyChain {
    struct Reader {
        let signing: Ed25519.PrivateKey
        let enc: X25519.PrivateKey
        var kid: String { signing.publicKey.id.hex }
    }

    var chain: TestChain
    let clinician: Reader, physio: Reader, researcher: Reader, auditor: Reader, outsider: Reader
    let emergency: X25519.PrivateKey
    let pseudonyms: PseudonymKey

    static let policy: JSONValue = [
        "read": ["clinician": ["*"], "physio": ["*"], "researcher": ["*"]],
        "view": ["researcher": "research", "auditor": "metadata"],
    ]

    init(rulesVersion: Int64 = ChainRules.legacyRulesVersion, gatewayDevices: [String] = []) throws {
        chain = try TestChain(rulesVersion: rulesVersion, gatewayDevices: gatewayDevices)
        func reader() throws -> Reader { Reader(signing: try Ed25519.PrivateKey(), enc: try X25519.PrivateKey()) }
        clinician = try reader(); physio = try reader(); researcher = try reader(); auditor = try reader(); outsider = try reader()
        emergency = try X25519.PrivateKey()
        pseudonyms = try PseudonymKey(bytes: try SecureRandom.bytes(count: 32))
        var txs: [Transaction] = []
        for (role, r) in [(Role.clinician, clinician), (.physio, physio), (.researcher, researcher), (.auditor, auditor)] {
            let grant = KeyChange(action: .grant, role: role, key: r.signing.publicKey, encryptionKey: r.enc.publicKey.rawRepresentation)
            txs.append(try chain.signed(grant.json, type: .key, by: chain.authority))
        }
        var policy = Self.policy.objectValue ?? [:]
        policy["emergency"] = .string(Base64URL.encode(emergency.publicKey.rawRepresentation))
        txs.append(try chain.signed(.object(policy), type: .policy, by: chain.authority))
        _ = try chain.append(txs)
    }

    func state() throws -> ChainState {
        var validator = ChainValidator(now: chain.clock)
        for block in chain.blocks {
            let problems = validator.add(block, lineBytes: block.canonicalLine.count)
            #expect(problems.isEmpty, "\(problems)")
        }
        return validator.state
    }

    func sealed(_ body: JSONValue, type: TxType = .reading) throws -> (JSONValue, SealedBody) {
        let sealed = try Sealing.seal(body, type: type, signer: chain.gateway.publicKey, recipients: try state().sealRecipients(kind: .heartRate), pseudonyms: pseudonyms)
        return (sealed, try SealedBody(parsing: sealed))
    }
}

@Suite struct SealTests {
    /// `json` with the value of every `ct`, `enc` and `key` member emptied.
    static func withoutCiphertext(_ json: JSONValue) -> JSONValue {
        switch json {
        case .object(let members):
            return .object(Dictionary(uniqueKeysWithValues: members.map { name, value in
                (name, ["ct", "enc", "key"].contains(name) ? .string("") : withoutCiphertext(value))
            }))
        case .array(let items):
            return .array(items.map(withoutCiphertext))
        default:
            return json
        }
    }

    @Test func clinicianResearcherAuditorOutsider() throws {
        let p = try PrivacyChain()
        let plain = p.chain.reading(device: "bed12-hr", seq: 7, value: 72)
        let (json, sealed) = try p.sealed(plain)
        // Looked for in what is in clear: a ciphertext or an encapsulated
        // key is random base64url, which holds a short id such as "P-1" by
        // chance about once in a hundred bodies.
        let text = Self.withoutCiphertext(json).canonicalString
        for secret in ["P-1", "bed12-hr", "\"value\"", "/min"] {
            #expect(!text.contains(secret), "the sealed body shows \(secret)")
        }
        #expect(text.count * 2 < json.canonicalString.count, "the ciphertext left out, the rest kept")
        #expect(sealed.patient == p.pseudonyms.patient("P-1"))
        #expect(sealed.device == p.pseudonyms.device("bed12-hr"))
        #expect(sealed.seq == 7 && sealed.kind == .heartRate)
        try TransactionBody.check(json, type: .reading)

        guard case let .opened(view, body) = Sealing.open(sealed, kid: p.clinician.kid, key: p.clinician.enc, type: .reading, signer: p.chain.gateway.publicKey) else {
            Issue.record("clinician could not open"); return
        }
        #expect(view == .full && body == plain)
        guard case let .opened(pview, pbody) = Sealing.open(sealed, kid: p.physio.kid, key: p.physio.enc, type: .reading, signer: p.chain.gateway.publicKey) else {
            Issue.record("physio could not open"); return
        }
        #expect(pview == .full && pbody == plain)

        guard case let .opened(rview, research) = Sealing.open(sealed, kid: p.researcher.kid, key: p.researcher.enc, type: .reading, signer: p.chain.gateway.publicKey) else {
            Issue.record("researcher could not open"); return
        }
        #expect(rview == .research)
        #expect(research["value"] == .number(72) && research["kind"] == "heart_rate" && research["ts"] == plain["ts"])
        #expect(research["patient"] == .string(sealed.patient))
        #expect(research["device"] == nil && research["mac"] == nil && research["seq"] == nil)
        #expect(!research.canonicalString.contains("P-1") && !research.canonicalString.contains("bed12-hr"))

        guard case .notRecipient = Sealing.open(sealed, kid: p.auditor.kid, key: p.auditor.enc, type: .reading, signer: p.chain.gateway.publicKey) else {
            Issue.record("the auditor is a recipient"); return
        }
        guard case .notRecipient = Sealing.open(sealed, kid: p.outsider.kid, key: p.outsider.enc, type: .reading, signer: p.chain.gateway.publicKey) else {
            Issue.record("an outsider is a recipient"); return
        }
        // Someone else's kid with the outsider's key: caught, not shown.
        guard case .tampered = Sealing.open(sealed, kid: p.clinician.kid, key: p.outsider.enc, type: .reading, signer: p.chain.gateway.publicKey) else {
            Issue.record("a wrong key opened the clinician's entry"); return
        }
        // Break-glass: the policy's emergency key opens the full view.
        guard case let .opened(eview, ebody) = Sealing.open(sealed, kid: p.emergency.publicKey.id.hex, key: p.emergency, type: .reading, signer: p.chain.gateway.publicKey) else {
            Issue.record("the emergency key could not open"); return
        }
        #expect(eview == .full && ebody == plain)
    }

    @Test func everyBitFlipIsCaught() throws {
        let p = try PrivacyChain()
        let (json, _) = try p.sealed(p.chain.reading(seq: 3))
        let ct = try #require(json["sealed"]?["full"]?["ct"]?.stringValue)
        let wrapped = try #require(json["sealed"]?["full"]?["to"]?.arrayValue?.first { $0["kid"]?.stringValue == p.clinician.kid })
        let kidIndex = try #require(json["sealed"]?["full"]?["to"]?.arrayValue?.firstIndex { $0["kid"]?.stringValue == p.clinician.kid })

        func flipped(_ b64: String, bit: Int) -> String {
            var bytes = Base64URL.decode(b64) ?? []
            bytes[bit / 8] ^= UInt8(1 << (bit % 8))
            return Base64URL.encode(bytes)
        }
        func expectCaught(_ edited: JSONValue, _ what: String) {
            guard let sealed = try? SealedBody(parsing: edited) else { return } // a schema refusal catches it too
            if case .opened = Sealing.open(sealed, kid: p.clinician.kid, key: p.clinician.enc, type: .reading, signer: p.chain.gateway.publicKey) {
                Issue.record("\(what): opened after a bit flip")
            }
        }
        let ctBits = (Base64URL.decode(ct) ?? []).count * 8
        for bit in stride(from: 0, to: ctBits, by: 5) {
            expectCaught(try edit(json, ["sealed", "full", "ct"], .string(flipped(ct, bit: bit))), "ct bit \(bit)")
        }
        for field in ["key", "enc"] {
            let value = try #require(wrapped[field]?.stringValue)
            for bit in stride(from: 0, to: (Base64URL.decode(value) ?? []).count * 8, by: 3) {
                let entry = try edit(wrapped, [field], .string(flipped(value, bit: bit)))
                var list = try #require(json["sealed"]?["full"]?["to"]?.arrayValue)
                list[kidIndex] = entry
                expectCaught(try edit(json, ["sealed", "full", "to"], .array(list)), "\(field) bit \(bit)")
            }
        }
        // The clear part: a changed ts, seq, kind or pseudonym.
        expectCaught(try edit(json, ["ts"], "2026-11-26T10:00:00.001Z"), "ts")
        expectCaught(try edit(json, ["seq"], .number(4)), "seq")
        expectCaught(try edit(json, ["kind"], "spo2"), "kind")
        let patient = try #require(json["patient"]?.stringValue)
        let other = String(patient.prefix(63)) + (patient.hasSuffix("0") ? "1" : "0")
        expectCaught(try edit(json, ["patient"], .string(other)), "patient pseudonym")
        // Moving the research ciphertext into the full view is caught too.
        let research = try #require(json["sealed"]?["research"]?["ct"])
        expectCaught(try edit(json, ["sealed", "full", "ct"], research), "swapped view")
    }

    @Test func schemaIsStrict() throws {
        let p = try PrivacyChain()
        let (json, _) = try p.sealed(p.chain.reading(seq: 1))
        #expect(throws: RecordError.self) { try TransactionBody.check(try edit(json, ["extra"], .number(1)), type: .reading) }
        #expect(throws: RecordError.self) { try TransactionBody.check(try edit(json, ["sealed", "extra"], .number(1)), type: .reading) }
        #expect(throws: RecordError.self) { try TransactionBody.check(try edit(json, ["patient"], "P-1"), type: .reading) }
        #expect(throws: RecordError.self) { try TransactionBody.check(try edit(json, ["value"], .number(72)), type: .reading) }
        #expect(throws: RecordError.self) { try TransactionBody.check(try edit(json, ["sealed", "suite"], "rot13"), type: .reading) }
        // A plain reading is still a reading.
        try TransactionBody.check(p.chain.reading(seq: 1), type: .reading)
    }

    @Test func alertsSealToo() throws {
        let p = try PrivacyChain()
        let alert: JSONValue = [
            "device": "bed1", "patient": "P-1", "seq": 9, "ts": "2026-11-26T10:00:00.000Z", "kind": "heart_rate",
            "value": 135, "level": "low-medium", "reasons": ["heart_rate 135 /min scores 3 on NEWS2 (>=131)"],
            "ref": .string(String(repeating: "ab", count: 32)),
        ]
        let (json, sealed) = try p.sealed(alert, type: .alert)
        try TransactionBody.check(json, type: .alert)
        guard case let .opened(_, research) = Sealing.open(sealed, kid: p.researcher.kid, key: p.researcher.enc, type: .alert, signer: p.chain.gateway.publicKey) else {
            Issue.record("researcher could not open the alert"); return
        }
        #expect(research["level"] == "low-medium" && research["ref"] == nil && research["device"] == nil)
    }

    @Test func pseudonymsAreKeyedAndDomainSeparated() throws {
        let a = try PseudonymKey(bytes: [UInt8](repeating: 1, count: 32))
        let b = try PseudonymKey(bytes: [UInt8](repeating: 2, count: 32))
        #expect(a.patient("P-1") == a.patient("P-1"))
        #expect(a.patient("P-1") != b.patient("P-1"))
        #expect(a.patient("x") != a.device("x"))
        #expect(a.patient("P-1") != Hex.encode(SHA256.hash(Array("P-1".utf8)).bytes))
        #expect(throws: CryptoError.self) { try PseudonymKey(bytes: [1, 2, 3]) }
    }
}

@Suite struct PrivacyPolicyTests {
    @Test func policyAndEncKeysTakeEffectFromTheNextBlock() throws {
        var p = try PrivacyChain()
        // Before any policy the recipients are empty; genesis + 1 block carried it.
        var early = ChainValidator(now: p.chain.clock)
        _ = early.add(p.chain.blocks[0], lineBytes: 0)
        #expect(early.state.sealRecipients(kind: .heartRate).isEmpty)
        let state = try p.state()
        let recipients = state.sealRecipients(kind: .heartRate)
        #expect(Set(recipients.map(\.kid)) == [p.clinician.kid, p.physio.kid, p.researcher.kid, p.emergency.publicKey.id.hex])
        #expect(recipients.first { $0.kid == p.researcher.kid }?.view == .research)
        #expect(state.encryptionKey(of: p.auditor.signing.publicKey) == p.auditor.enc.publicKey)

        // A new policy (clinicians only, spo2 only) in block 2 applies from block 3.
        let narrow: JSONValue = ["read": ["clinician": ["spo2"]]]
        let revoke = KeyChange(action: .revoke, role: .physio, key: p.physio.signing.publicKey)
        _ = try p.chain.append([try p.chain.signed(narrow, type: .policy, by: p.chain.authority),
                                try p.chain.signed(revoke.json, type: .key, by: p.chain.authority)])
        let after = try p.state()
        #expect(after.sealRecipients(kind: .heartRate).isEmpty)
        #expect(after.sealRecipients(kind: .spo2).map(\.kid) == [p.clinician.kid])
    }

    @Test func policyNotSignedByAuthorityIsIgnored() throws {
        var p = try PrivacyChain()
        let rogue: JSONValue = ["read": ["auditor": ["*"]]]
        _ = try p.chain.append([try p.chain.signed(rogue, type: .policy, by: p.chain.gateway)])
        var validator = ChainValidator(now: p.chain.clock)
        var problems: [ChainProblem] = []
        for block in p.chain.blocks { problems += validator.add(block, lineBytes: block.canonicalLine.count) }
        #expect(problems.contains { $0.rule == .role })
        #expect(!validator.state.sealRecipients(kind: .heartRate).contains { $0.kid == p.auditor.kid })
    }

    @Test func revokedReaderGetsNoNewWrapsAndCannotSignAccess() throws {
        var p = try PrivacyChain()
        let revoke = KeyChange(action: .revoke, role: .clinician, key: p.clinician.signing.publicKey)
        _ = try p.chain.append([try p.chain.signed(revoke.json, type: .key, by: p.chain.authority)])
        #expect(!(try p.state()).sealRecipients(kind: .heartRate).contains { $0.kid == p.clinician.kid })
        let access = AccessRecord(txids: [SHA256.hash([1])], reason: "ward round")
        _ = try p.chain.append([try p.chain.signed(access.json, type: .access, by: p.clinician.signing)])
        let problems = p.chain.validate()
        #expect(problems[Int64(p.chain.blocks.count - 1)]?.contains { $0.rule == .role } == true, "\(problems)")
    }

    @Test func accessRecordSchema() throws {
        let ok = AccessRecord(txids: [SHA256.hash([1]), SHA256.hash([2])], reason: "emergency", note: "code blue bed 4")
        try TransactionBody.check(ok.json, type: .access)
        #expect(throws: RecordError.self) { try TransactionBody.check(["txids": [], "reason": "x"], type: .access) }
        #expect(throws: RecordError.self) { try TransactionBody.check(["txids": ["ab"], "reason": "x"], type: .access) }
        #expect(throws: RecordError.self) { try TransactionBody.check(["reason": "x"], type: .access) }
        let h = JSONValue.string(SHA256.hash([1]).hex)
        #expect(throws: RecordError.self) { try TransactionBody.check(["txids": [h, h], "reason": "x"], type: .access) }
        #expect(throws: RecordError.self) { try TransactionBody.check(["txids": [h], "reason": "x", "who": "me"], type: .access) }
    }
}

/// `json` with the member at `path` replaced.
func edit(_ json: JSONValue, _ path: [String], _ value: JSONValue) throws -> JSONValue {
    guard let first = path.first else { return value }
    guard var members = json.objectValue else { throw RecordError(field: first, "not an object") }
    members[first] = path.count == 1 ? value : try edit(members[first] ?? .null, Array(path.dropFirst()), value)
    return .object(members)
}
