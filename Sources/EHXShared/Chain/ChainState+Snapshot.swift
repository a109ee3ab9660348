/// The chain state as a snapshot holds it (Chain/ChainSnapshot.swift): every
/// field as a JSON member, except the keys (txids, reading and alert keys),
/// which go in a binary section (`ChainKeys.encode`). A field added to
/// `ChainState` must be added here too;
/// `ChainSnapshotTests` compares every stored field of a replayed state with
/// its restored copy, so one that is forgotten fails there.
extension ChainState {
    /// Everything but the keys. A snapshot is taken between blocks, when no
    /// key change or policy is waiting for the next one.
    func snapshotFacts() throws(ChainSnapshotError) -> JSONValue {
        guard pendingKeyChanges.isEmpty, pendingPolicy == nil else {
            throw .format("the state is inside a block (key changes or a policy pending)")
        }
        func keyed<V>(_ map: [Ed25519.PublicKey: V], _ value: (V) -> JSONValue) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: map.map { (Hex.encode($0.key.rawRepresentation), value($0.value)) }))
        }
        func roleList(_ roles: Set<Role>) -> JSONValue { .array(roles.sorted().map { .string($0.rawValue) }) }
        func number<I: BinaryInteger>(_ n: I) -> JSONValue { .number(Double(n)) }
        var facts: [String: JSONValue] = [
            "height": number(height),
            "tip": .string(tip.hex),
            "tip_time": number(tipTime),
            "first_time": number(firstTime),
            "chain_work": .string(chainWork.paddedHex),
            "work_by_bits": .object(Dictionary(uniqueKeysWithValues: workByBits.map { (Block.hexBits($0.key), JSONValue.string($0.value.paddedHex)) })),
            "tip_required_bits": number(tipRequiredBits),
            "interval_start_time": number(intervalStartTime),
            "tx_count": number(txCount),
            "counts_by_type": .object(Dictionary(uniqueKeysWithValues: countsByType.map { ($0.key.rawValue, number($0.value)) })),
            "recent_times": .array(recentTimes.map(number)),
            // Ids as [id, value] pairs, never object keys: two ids that differ
            // only in Unicode normalization are two devices (ByteIdentity),
            // but one Swift String key.
            "device_seqs": .array(deviceSeqs.map { JSONValue.array([.string($0.key.description), number($0.value)]) }),
            "device_bindings": keyed(deviceBindings) { .array($0.map { .string($0.description) }) },
            "roles": keyed(roles, roleList),
            "signers_by_role": .object(Dictionary(uniqueKeysWithValues: signersByRole.map {
                ($0.key.rawValue, JSONValue.array($0.value.map { .string(Hex.encode($0.rawRepresentation)) }.sorted { $0.stringValue ?? "" < $1.stringValue ?? "" }))
            })),
            "encryption_keys": keyed(encryptionKeys) { .string(Hex.encode($0.rawRepresentation)) },
        ]
        if let rules { facts["rules"] = rules.json }
        if let genesisHash { facts["genesis"] = .string(genesisHash.hex) }
        if let policyInForce { facts["policy"] = policyInForce.json }
        if !erasedBlobs.isEmpty {
            facts["erased_blobs"] = .array(erasedBlobs.sorted { $0.key.hex < $1.key.hex }.map { JSONValue.array([.string($0.key.hex), .string($0.value.hex)]) })
        }
        // Absent: unknown (a firmware transaction broke a rule). A snapshot
        // written before the state kept releases lacks it too, and is read
        // as unknown, never as "no releases".
        if let firmwareLedger { facts["firmware"] = .array(firmwareLedger.releases.map(\.snapshotJSON)) }
        return .object(facts)
    }

    /// The state a snapshot's facts and key section (read from `keySection`,
    /// its runs from `runDirectory`) describe.
    init(snapshotFacts facts: JSONValue, keys keySection: SnapshotReader, runDirectory: SafeDirectory?) throws(ChainSnapshotError) {
        self.init()
        let f = SnapshotFields(facts)
        if let rulesJSON = facts["rules"] {
            do { rules = try ChainRules(parsing: rulesJSON) } catch { throw .format("rules: \(error)") }
        }
        if facts["genesis"] != nil { genesisHash = try f.digest("genesis") }
        height = try f.integer("height")
        tip = try f.digest("tip")
        tipTime = try f.integer("tip_time")
        firstTime = try f.integer("first_time")
        chainWork = try f.work(facts["chain_work"], "chain_work")
        for (bits, value) in try f.object("work_by_bits") {
            guard let parsed = UInt32(bits, radix: 16) else { throw .format("work_by_bits: \(bits)") }
            workByBits[parsed] = try f.work(value, "work_by_bits")
        }
        tipRequiredBits = try f.integer("tip_required_bits")
        intervalStartTime = try f.integer("interval_start_time")
        txCount = try f.integer("tx_count")
        for (name, count) in try f.object("counts_by_type") {
            guard let type = TxType(rawValue: name), let n = count.integerValue else { throw .format("counts_by_type: \(name)") }
            countsByType[type] = Int(n)
        }
        recentTimes = try (facts["recent_times"]?.arrayValue ?? []).map { (time: JSONValue) throws(ChainSnapshotError) -> UInt32 in
            guard let t = time.integerValue, let value = UInt32(exactly: t) else { throw .format("recent_times") }
            return value
        }
        for pair in facts["device_seqs"]?.arrayValue ?? [] {
            guard let items = pair.arrayValue, items.count == 2, let device = items[0].stringValue, let n = items[1].integerValue else {
                throw .format("device_seqs")
            }
            deviceSeqs[ByteIdentity(device)] = n
        }
        guard facts["device_bindings"] != nil else {
            throw .format("no rules-2 facts (an older snapshot)")
        }
        for (key, devices) in try f.object("device_bindings") {
            guard let list = devices.arrayValue else { throw .format("device_bindings: \(key)") }
            deviceBindings[try f.signingKey(key)] = Set(try list.map { (d: JSONValue) throws(ChainSnapshotError) -> ByteIdentity in
                guard let text = d.stringValue else { throw .format("device_bindings") }
                return ByteIdentity(text)
            })
        }
        for (key, held) in try f.object("roles") {
            roles[try f.signingKey(key)] = try f.roles(held)
        }
        for (name, keys) in try f.object("signers_by_role") {
            guard let role = Role(rawValue: name), let list = keys.arrayValue else { throw .format("signers_by_role: \(name)") }
            signersByRole[role] = Set(try list.map { (key: JSONValue) throws(ChainSnapshotError) in try f.signingKey(key.stringValue ?? "") })
        }
        for (key, enc) in try f.object("encryption_keys") {
            guard let raw = enc.stringValue.flatMap(Hex.decode), let x = try? X25519.PublicKey(rawRepresentation: raw) else {
                throw .format("encryption_keys: \(key)")
            }
            encryptionKeys[try f.signingKey(key)] = x
        }
        if let policy = facts["policy"] {
            do { policyInForce = try ReadPolicy(parsing: policy) } catch { throw .format("policy: \(error)") }
        }
        // Absent in snapshots of chains without erasures.
        for pair in facts["erased_blobs"]?.arrayValue ?? [] {
            guard let items = pair.arrayValue, items.count == 2, let blob = items[0].stringValue.flatMap(SHA256Digest.init(hex:)),
                  let txid = items[1].stringValue.flatMap(SHA256Digest.init(hex:)) else { throw .format("erased_blobs") }
            erasedBlobs[blob] = txid
        }
        firmwareLedger = try facts["firmware"].map { (list: JSONValue) throws(ChainSnapshotError) in
            guard let entries = list.arrayValue else { throw .format("firmware") }
            return FirmwareLedger(releases: try entries.map(FirmwareLedger.Release.init(snapshotJSON:)))
        }
        keys = try ChainKeys.decode(from: keySection, runDirectory: runDirectory)
    }
}

extension FirmwareLedger.Release {
    /// `{"release":{…},"txid","height","signer"[,"revoked_at"]}`; only
    /// releases that count enter a state, so there is no reason to keep.
    var snapshotJSON: JSONValue {
        var m: [String: JSONValue] = ["release": release.json, "txid": .string(txid.hex), "height": .number(Double(height)), "signer": .string(signer)]
        if let revokedAt { m["revoked_at"] = .number(Double(revokedAt)) }
        return .object(m)
    }

    init(snapshotJSON json: JSONValue) throws(ChainSnapshotError) {
        let f = SnapshotFields(json)
        guard let body = json["release"], let release = try? FirmwareRelease(parsing: body),
              let signer = json["signer"]?.stringValue else { throw .format("firmware: not a release") }
        let revokedAt: Int64? = json["revoked_at"] == nil ? nil : try f.integer("revoked_at")
        self.init(release: release, txid: try f.digest("txid"), height: try f.integer("height"), signer: signer,
                  invalidReason: nil, revokedAt: revokedAt)
    }
}

extension ReadPolicy {
    /// The policy as its transaction body has it (`init(parsing:)` reads it back).
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "read": .object(Dictionary(uniqueKeysWithValues: read.map { ($0.key.rawValue, JSONValue.array($0.value.sorted().map { .string($0) })) })),
        ]
        if !views.isEmpty {
            members["view"] = .object(Dictionary(uniqueKeysWithValues: views.map { ($0.key.rawValue, JSONValue.string($0.value.rawValue)) }))
        }
        if let emergency { members["emergency"] = .string(Base64URL.encode(emergency.rawRepresentation)) }
        return .object(members)
    }
}

/// Typed reads of a snapshot's facts; any surprise is a format error, and
/// the snapshot is then rebuilt rather than trusted.
private struct SnapshotFields {
    let json: JSONValue
    init(_ json: JSONValue) { self.json = json }

    func integer<I: FixedWidthInteger>(_ key: String) throws(ChainSnapshotError) -> I {
        guard let n = json[key]?.integerValue, let value = I(exactly: n) else { throw .format("\(key) missing or out of range") }
        return value
    }

    func digest(_ key: String) throws(ChainSnapshotError) -> SHA256Digest {
        guard let hex = json[key]?.stringValue, let digest = SHA256Digest(hex: hex) else { throw .format("\(key) is not a hash") }
        return digest
    }

    func object(_ key: String) throws(ChainSnapshotError) -> [String: JSONValue] {
        guard let object = json[key]?.objectValue else { throw .format("\(key) missing") }
        return object
    }

    func work(_ value: JSONValue?, _ key: String) throws(ChainSnapshotError) -> ChainWork {
        guard let hex = value?.stringValue, let bytes = Hex.decode(hex), bytes.count == 32 else { throw .format("\(key) is not 32 bytes of hex") }
        return ChainWork(bigEndian: bytes)
    }

    func signingKey(_ hex: String) throws(ChainSnapshotError) -> Ed25519.PublicKey {
        guard let raw = Hex.decode(hex), let key = try? Ed25519.PublicKey(rawRepresentation: raw) else { throw .format("\(hex) is not a key") }
        return key
    }

    func roles(_ value: JSONValue) throws(ChainSnapshotError) -> Set<Role> {
        guard let list = value.arrayValue else { throw .format("roles") }
        return Set(try list.map { (name: JSONValue) throws(ChainSnapshotError) -> Role in
            guard let role = name.stringValue.flatMap(Role.init(rawValue:)) else { throw .format("roles: \(name.canonicalString)") }
            return role
        })
    }
}
