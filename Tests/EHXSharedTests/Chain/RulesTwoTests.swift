import Testing
@testable import EHXShared

/// The rules a genesis with `"rules":2` turns on (man ehx.7, THE RULES), each
/// broken on purpose by a key holder, and the rules-1 chains that keep
/// verifying as they did. Plus identity by bytes, which holds on every chain.
@Suite struct RulesTwoTests {
    func rules(_ problems: [ChainProblem]?) -> Set<ChainProblem.Rule> { Set((problems ?? []).map(\.rule)) }

    static let nfc = "bed-\u{e9}"
    static let nfd = "bed-e\u{301}"

    // MARK: identity by bytes (issue 15 item 3)

    @Test func canonicallyEquivalentDevicesAreTwoDevices() throws {
        #expect(Self.nfc == Self.nfd, "Swift calls them equal; the chain must not")
        var chain = try TestChain()
        _ = try chain.append([try chain.signed(chain.reading(device: Self.nfc, seq: 1)),
                              try chain.signed(chain.reading(device: Self.nfd, seq: 1))])
        _ = try chain.append([try chain.signed(chain.reading(device: Self.nfd, seq: 2))])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        // The miner's candidate judges them the same way.
        var validator = ChainValidator(now: chain.clock)
        for block in chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        var candidate = validator.candidate()
        #expect(candidate.admit(try chain.signed(chain.reading(device: Self.nfc, seq: 2))).isEmpty)
        #expect(validator.state.lastSeq(device: Self.nfc) == 1 && validator.state.lastSeq(device: Self.nfd) == 2)
    }

    @Test func aBindingIsToBytes() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: [Self.nfc])
        _ = try chain.append([try chain.signed(chain.reading(device: Self.nfc, seq: 1, ts: chain.ts()))])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        _ = try chain.append([try chain.signed(chain.reading(device: Self.nfd, seq: 1, ts: chain.ts()))])
        #expect(rules(chain.validate()[2]) == [.deviceBinding])
    }

    @Test func queriesSelectAPatientByBytes() throws {
        let chain = try TestChain()
        var nfcBody = chain.reading(seq: 1).objectValue ?? [:]
        nfcBody["patient"] = .string(Self.nfc)
        let tx = try chain.signed(.object(nfcBody))
        #expect(try TxFilter(type: nil, device: nil, patient: Self.nfc, since: nil, until: nil).matches(tx))
        #expect(!(try TxFilter(type: nil, device: nil, patient: Self.nfd, since: nil, until: nil).matches(tx)))
        let nfd = try chain.signed(chain.reading(device: Self.nfd, seq: 1))
        #expect(!(try TxFilter(type: nil, device: Self.nfc, patient: nil, since: nil, until: nil).matches(nfd)))
    }

    @Test func aFirmwareRevocationNamesItsModelByBytes() throws {
        var chain = try TestChain()
        let maker = try Ed25519.PrivateKey()
        _ = try chain.append([try chain.signed(KeyChange(action: .grant, role: .manufacturer, key: maker.publicKey).json, type: .key, by: chain.authority)])
        let image = SHA256.hash([1, 2, 3])
        func release(_ model: String, revoked: Bool = false) throws -> Transaction {
            try chain.signed(FirmwareRelease(vendor: "Acme", model: model, version: "1", sha256: image, size: 3, revoked: revoked).json,
                             type: .firmware, by: maker)
        }
        _ = try chain.append([try release(Self.nfc)])
        _ = try chain.append([try release(Self.nfd, revoked: true)])
        var registry = FirmwareRegistry(now: chain.clock)
        for block in chain.blocks { try registry.add(block, lineBytes: block.canonicalLine.count) }
        // The revocation names another model's bytes: the NFC release stands, and only it matches its name.
        guard case .accepted = registry.check(model: Self.nfc, sha256: image, size: 3) else {
            Issue.record("a revocation of \(Self.nfd) withdrew \(Self.nfc)"); return
        }
        #expect(registry.matching(model: Self.nfd, vendor: nil).isEmpty)
    }

    // MARK: device binding, reading time, seq reset (item 5)

    @Test func aGatewaySpeaksOnlyForItsDevices() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 1, ts: chain.ts()))])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        // Another device, no MAC needed to forge it: refused.
        _ = try chain.append([try chain.signed(chain.reading(device: "bed2", seq: 1, ts: chain.ts()))])
        #expect(rules(chain.validate()[2]) == [.deviceBinding])
        chain.blocks.removeLast()
        // A second gateway key granted without devices speaks for none.
        let rogue = try Ed25519.PrivateKey()
        _ = try chain.append([try chain.signed(KeyChange(action: .grant, role: .gateway, key: rogue.publicKey).json, type: .key, by: chain.authority)])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 2, ts: chain.ts()), by: rogue)])
        #expect(rules(chain.validate()[3]) == [.deviceBinding])
        // Alerts are bound the same way.
        let alert = try chain.signed(alertBody(chain, device: "bed1", seq: 2, ref: String(repeating: "0", count: 64)), type: .alert, by: rogue)
        chain.blocks.removeLast()
        _ = try chain.append([alert])
        #expect(rules(chain.validate()[3]).contains(.deviceBinding))
    }

    @Test func aBindingCountsFromTheNextBlockAndUnbindsAlone() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        let bind = KeyChange(action: .grant, role: .gateway, key: chain.gateway.publicKey, devices: ["bed2"])
        _ = try chain.append([try chain.signed(bind.json, type: .key, by: chain.authority),
                              try chain.signed(chain.reading(device: "bed2", seq: 1, ts: chain.ts()))])
        #expect(rules(chain.validate()[1]) == [.deviceBinding], "a binding does not count in its own block")
        chain.blocks.removeLast()
        _ = try chain.append([try chain.signed(bind.json, type: .key, by: chain.authority)])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed2", seq: 1, ts: chain.ts()))])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        // Unbinding bed2 keeps the role and bed1.
        let unbind = KeyChange(action: .revoke, role: .gateway, key: chain.gateway.publicKey, devices: ["bed2"])
        _ = try chain.append([try chain.signed(unbind.json, type: .key, by: chain.authority)])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 1, ts: chain.ts())),
                              try chain.signed(chain.reading(device: "bed2", seq: 2, ts: chain.ts()))])
        let problems = chain.validate()[4] ?? []
        #expect(problems.count == 1 && problems.first?.rule == .deviceBinding, "\(problems)")
        // Only a key that signs readings is bound to devices.
        #expect(throws: RecordError.self) {
            try TransactionBody.check(KeyChange(action: .grant, role: .miner, key: chain.miner.publicKey, devices: ["bed1"]).json, type: .key)
        }
    }

    @Test func aReadingFromTheFutureIsRefused() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        // The block's time is clock + 60: ten minutes after it is the limit.
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 1, ts: chain.ts(after: 60 + 600)))])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 2, ts: "9000-01-01T00:00:00.000Z"))])
        #expect(rules(chain.validate()[2]) == [.readingTime])
        chain.blocks.removeLast()
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 2, ts: chain.ts(after: 60 + 601)))])
        #expect(rules(chain.validate()[2]) == [.readingTime])
        // The miner judges a reading by the time its block will get.
        chain.blocks.removeLast()
        var validator = ChainValidator(now: chain.clock)
        for block in chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        var candidate = validator.candidate()
        #expect(rules(candidate.admit(try chain.signed(chain.reading(device: "bed1", seq: 3, ts: "9000-01-01T00:00:00.000Z")))) == [.readingTime])
    }

    @Test func theAuthorityResetsAForgedSeq() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        // A stolen gateway key pushes bed1 to 2^53: the real device is locked out.
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: SensorReading.maxSeq, ts: chain.ts()))])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 5, ts: chain.ts()))])
        #expect(rules(chain.validate()[2]) == [.replay])
        chain.blocks.removeLast()
        // The authority sets bed1's last seq back to 4 (and would bind it to a new key).
        let reset = KeyChange(action: .grant, role: .gateway, key: chain.gateway.publicKey, devices: ["bed1"], seq: 4)
        _ = try chain.append([try chain.signed(reset.json, type: .key, by: chain.authority)])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 5, ts: chain.ts()))])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        // Only the authority may: a gateway's own reset is a role problem and resets nothing.
        let forged = try chain.signed(KeyChange(action: .grant, role: .gateway, key: chain.gateway.publicKey, devices: ["bed1"], seq: 0).json,
                                      type: .key, by: chain.gateway)
        _ = try chain.append([forged])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed1", seq: 1, ts: chain.ts()))])
        #expect(rules(chain.validate()[4]) == [.role])
        #expect(rules(chain.validate()[5]) == [.replay])
    }

    // MARK: alerts (item 6)

    func alertBody(_ chain: TestChain, device: String = "bed1", seq: Int64, ref: String?, rule: String = "news2", ts: String? = nil) -> JSONValue {
        var body: [String: JSONValue] = [
            "device": .string(device), "patient": "P-1", "seq": .number(Double(seq)), "ts": .string(ts ?? chain.ts()),
            "kind": "heart_rate", "value": 135, "level": "low-medium",
            "reasons": ["heart_rate 135 /min scores 3 on NEWS2 (>=131)"],
            "rules": [["rule": .string(rule), "kind": "heart_rate", "value": 135, "score": 3]],
        ]
        if let ref { body["ref"] = .string(ref) }
        return .object(body)
    }

    func ref(_ body: JSONValue) -> String { SHA256.hash(body.canonicalBytes()).hex }

    @Test func anAlertNamesAReadingOnTheChainOnce() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        let reading = chain.reading(device: "bed1", seq: 1, value: 135, ts: chain.ts())
        let alert = alertBody(chain, seq: 1, ref: ref(reading), ts: reading["ts"]?.stringValue)
        _ = try chain.append([try chain.signed(reading), try chain.signed(alert, type: .alert)])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        // ehx-ingest run twice: the same alert, a new signing time, a new txid.
        let again = try Transaction.sign(type: .alert, body: alert, ts: Timestamp(millisecondsSince1970: chain.clock * 1000 + 7), key: chain.gateway)
        _ = try chain.append([again])
        #expect(rules(chain.validate()[2]) == [.alertRepeat])
        chain.blocks.removeLast()
        // Another rule about the same reading is a second alert, not a repeat.
        _ = try chain.append([try chain.signed(alertBody(chain, seq: 1, ref: ref(reading), rule: "baseline"), type: .alert)])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        // A ref no reading has, a reading that is not the one named, no ref at all.
        for body in [alertBody(chain, seq: 1, ref: String(repeating: "ab", count: 32)),
                     alertBody(chain, seq: 2, ref: ref(reading)),
                     alertBody(chain, seq: 1, ref: nil)] {
            var forged = chain
            _ = try forged.append([try forged.signed(body, type: .alert)])
            #expect(rules(forged.validate()[3]) == [.alertRef], "\(body)")
        }
        // The reading must come first, even inside one block.
        var late = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        let r = late.reading(device: "bed1", seq: 1, ts: late.ts())
        _ = try late.append([try late.signed(alertBody(late, seq: 1, ref: ref(r)), type: .alert), try late.signed(r)])
        #expect(rules(late.validate()[1]) == [.alertRef])
    }

    @Test func theMinerSeesARepeatInItsOwnCandidate() throws {
        let chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        let reading = chain.reading(device: "bed1", seq: 1, ts: chain.ts())
        let alert = alertBody(chain, seq: 1, ref: ref(reading))
        var validator = ChainValidator(now: chain.clock + 60)
        for block in chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        var candidate = validator.candidate()
        #expect(candidate.admit(try chain.signed(reading)).isEmpty)
        #expect(candidate.admit(try chain.signed(alert, type: .alert)).isEmpty)
        let again = try Transaction.sign(type: .alert, body: alert, ts: Timestamp(millisecondsSince1970: 5), key: chain.gateway)
        #expect(rules(candidate.admit(again)) == [.alertRepeat])
    }

    // MARK: rules 1 chains keep their rules

    @Test func aRulesOneChainKeepsItsRules() throws {
        var chain = try TestChain()
        let reading = chain.reading(device: "anything", seq: 1)
        let alert = alertBody(chain, device: "anything", seq: 1, ref: nil)
        _ = try chain.append([try chain.signed(reading), try chain.signed(alert, type: .alert),
                              try chain.signed(alertBody(chain, device: "anything", seq: 1, ref: nil, ts: "9000-01-01T00:00:00.000Z"), type: .alert)])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
        // A genesis member is exactly what the version was: no `rules` is 1, `"rules":1` is refused, an unknown version is named.
        let genesis = try #require(chain.blocks[0].txs.first)
        #expect(genesis.body["rules"] == nil)
        var members = try #require(genesis.body.objectValue)
        members["rules"] = 3
        #expect(throws: RecordError.self) { try ChainRules(parsing: .object(members)) }
        do { _ = try ChainRules(parsing: .object(members)) } catch { #expect(error.description.contains("rules version 3")) }
        members["rules"] = 1
        #expect(throws: RecordError.self) { try ChainRules(parsing: .object(members)) }
        members["rules"] = 2
        #expect(try ChainRules(parsing: .object(members)).rulesVersion == 2)
        // Devices in a grant need rules 2.
        members["rules"] = nil
        members["grants"] = [["role": "gateway", "key": .string(Base64URL.encode(chain.gateway.publicKey.rawRepresentation)), "devices": ["bed1"]]]
        #expect(throws: RecordError.self) { try ChainRules(parsing: .object(members)) }
    }
}
