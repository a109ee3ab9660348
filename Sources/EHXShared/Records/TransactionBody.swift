/// Schema checks for each transaction type's body. Every tool that makes or
/// accepts a transaction goes through here, so sign, mine and verify agree
/// on what a valid body is.
public enum TransactionBody {
    public static func check(_ body: JSONValue, type: TxType) throws(RecordError) {
        switch type {
        case .genesis: _ = try ChainRules(parsing: body)
        case .key: _ = try KeyChange(parsing: body)
        // A reading or alert is either plain or sealed (man ehx.7, SEALED BODIES).
        // Its sealed part may live in a blob store instead (StoredBody).
        case .reading:
            if StoredBody.isStored(body) { _ = try StoredBody(parsing: body) }
            else if SealedBody.isSealed(body) { _ = try SealedBody(parsing: body) } else { _ = try SensorReading(parsing: body) }
        case .alert:
            if StoredBody.isStored(body) { _ = try StoredBody(parsing: body) }
            else if SealedBody.isSealed(body) { _ = try SealedBody(parsing: body) } else { _ = try Alert(parsing: body) }
        case .erasure: _ = try ErasureRecord(parsing: body)
        case .stamp: _ = try Stamp(parsing: body)
        case .firmware: _ = try FirmwareRelease(parsing: body)
        case .policy: _ = try ReadPolicy(parsing: body)
        case .access: _ = try AccessRecord(parsing: body)
        }
    }

    /// `check`, and the body's canonical bytes: a plain reading's written
    /// by `SensorReading.canonicalForm` from the fields the check read
    /// (the gateway's own writer, held to the general one by its tests),
    /// any other body by the general writer.
    static func checkedCanonicalBytes(_ body: JSONValue, type: TxType) throws(RecordError) -> [UInt8] {
        if type == .reading, !StoredBody.isStored(body), !SealedBody.isSealed(body) {
            return try SensorReading(parsing: body).canonicalForm().bytes
        }
        try check(body, type: type)
        return body.canonicalBytes()
    }
}

/// First transaction of every block after genesis, signed by the miner. The
/// extranonce lets a miner change the Merkle root once 2^32 nonces are spent.
public struct Stamp: Sendable {
    public let height: Int64
    public let extranonce: Int64
    /// The block's transaction count, the stamp included. It puts the
    /// Merkle tree's size under the root, so an inclusion proof's
    /// `tree_size` is checked, not taken on trust; stamps written before it
    /// existed have none (ehx.7, INCLUSION PROOFS).
    public let txs: Int64?

    public static let txCounts: ClosedRange<Int64> = 1...1_000_000

    public init(height: Int64, extranonce: Int64, txs: Int64? = nil) {
        self.height = height
        self.extranonce = extranonce
        self.txs = txs
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["height", "extranonce", "txs"])
        height = try f.integer("height", in: 1...Int64(UInt32.max))
        extranonce = try f.integer("extranonce", in: 0...SensorReading.maxSeq)
        txs = f.has("txs") ? try f.integer("txs", in: Self.txCounts) : nil
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["height": .number(Double(height)), "extranonce": .number(Double(extranonce))]
        if let txs { object["txs"] = .number(Double(txs)) }
        return .object(object)
    }
}

/// An authority's grant or revocation of a role for a key; it takes effect
/// from the block after the one that carries it. Rules 2 (man ehx.7, DEVICE
/// BINDING): a `gateway` or `device` grant may list the `devices` the key
/// speaks for (adding them), a revoke with `devices` unbinds just those,
/// and `seq` in a grant with `devices` sets their last seq (the authority's
/// reset of a device a forged seq ran ahead).
public struct KeyChange: Sendable {
    public enum Action: String, Sendable { case grant, revoke }
    public static let maxDevices = 10_000
    public let action: Action
    public let role: Role
    public let key: Ed25519.PublicKey
    /// The key's X25519 encryption key (raw 32 bytes), for sealed payloads.
    public let encryptionKey: [UInt8]?
    /// Device ids or pseudonyms the change binds (grant) or unbinds (revoke).
    public let devices: [String]
    /// With a grant's `devices`: their last seq from the next block on.
    public let seq: Int64?

    public init(action: Action, role: Role, key: Ed25519.PublicKey, encryptionKey: [UInt8]? = nil,
                devices: [String] = [], seq: Int64? = nil) {
        self.action = action
        self.role = role
        self.key = key
        self.encryptionKey = encryptionKey
        self.devices = devices
        self.seq = seq
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["action", "role", "key", "enc", "devices", "seq"])
        let actionName = try f.string("action", maxLength: 16)
        guard let action = Action(rawValue: actionName) else {
            throw RecordError(field: "action", "must be \"grant\" or \"revoke\"")
        }
        self.action = action
        role = try Role.parse(try f.string("role", maxLength: 32))
        key = try f.publicKey("key")
        encryptionKey = f.has("enc") ? try f.bytes("enc", count: 32) : nil
        devices = f.has("devices") ? try Self.deviceList(f, role: role) : []
        if f.has("seq") {
            guard action == .grant, !devices.isEmpty else { throw RecordError(field: "seq", "only a grant with devices sets a seq") }
            seq = try f.integer("seq", in: 0...SensorReading.maxSeq)
        } else {
            seq = nil
        }
    }

    /// A `devices` member: 1 to `maxDevices` distinct (by bytes) ids of 1 to
    /// 128 bytes, for a role that signs readings.
    static func deviceList(_ f: RecordFields, role: Role) throws(RecordError) -> [String] {
        guard role.maySign.contains(.reading) else {
            throw RecordError(field: "devices", "only a gateway or device key speaks for devices, not \(role.rawValue)")
        }
        let list = try f.array("devices")
        guard !list.isEmpty, list.count <= maxDevices else { throw RecordError(field: "devices", "must list 1 to \(maxDevices) devices") }
        var seen: Set<ByteIdentity> = []
        var out: [String] = []
        for (i, item) in list.enumerated() {
            let name = "devices[\(i)]"
            let id = try RecordFields(.object([name: item]), allowed: [name]).string(name, maxLength: 128)
            guard seen.insert(ByteIdentity(id)).inserted else { throw RecordError(field: "devices[\(i)]", "repeated") }
            out.append(id)
        }
        return out
    }

    public var json: JSONValue {
        var m: [String: JSONValue] = [
            "action": .string(action.rawValue),
            "role": .string(role.rawValue),
            "key": .string(Base64URL.encode(key.rawRepresentation)),
        ]
        if let encryptionKey { m["enc"] = .string(Base64URL.encode(encryptionKey)) }
        if !devices.isEmpty { m["devices"] = .array(devices.map { .string($0) }) }
        if let seq { m["seq"] = .number(Double(seq)) }
        return .object(m)
    }
}

/// A manufacturer's statement that a firmware image has this hash, so a
/// device can check an update against the chain. With `"revoked":true` the
/// same body withdraws that release (see `FirmwareRegistry`).
public struct FirmwareRelease: Sendable, Equatable {
    public let vendor: String
    public let model: String
    public let version: String
    public let sha256: SHA256Digest
    public let size: Int64
    /// Where the image can be fetched; informational (the hash is what counts).
    public let url: String?
    /// True for a revocation of this release; absent on a release.
    public let revoked: Bool

    public init(vendor: String, model: String, version: String, sha256: SHA256Digest, size: Int64,
                url: String? = nil, revoked: Bool = false) {
        self.vendor = vendor
        self.model = model
        self.version = version
        self.sha256 = sha256
        self.size = size
        self.url = url
        self.revoked = revoked
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["vendor", "model", "version", "sha256", "size", "url", "revoked"])
        vendor = try f.string("vendor")
        model = try f.string("model")
        version = try f.string("version", maxLength: 64)
        let hex = try f.string("sha256", maxLength: 64)
        guard let digest = SHA256Digest(hex: hex) else { throw RecordError(field: "sha256", "must be 64 lowercase hex digits") }
        sha256 = digest
        size = try f.integer("size", in: 0...SensorReading.maxSeq)
        url = try f.optionalString("url", maxLength: 2048)
        if f.has("revoked") {
            guard try f.value("revoked") == .bool(true) else {
                throw RecordError(field: "revoked", "must be true (leave it out for a release)")
            }
            revoked = true
        } else {
            revoked = false
        }
    }

    public var json: JSONValue {
        var m: [String: JSONValue] = [
            "vendor": .string(vendor), "model": .string(model), "version": .string(version),
            "sha256": .string(sha256.hex), "size": .number(Double(size)),
        ]
        if let url { m["url"] = .string(url) }
        if revoked { m["revoked"] = .bool(true) }
        return .object(m)
    }
}

/// Which roles may read which kinds, and how much of them:
/// `{"read":{role:[kind|"*",…]},"view":{role:"full"|"research"|"metadata"},"emergency":"<X25519 key>"}`.
/// A role listed in `read` sees the `full` body unless `view` says less; a
/// role not listed sees the clear part only. `emergency` names the X25519
/// key every sealed body is also wrapped for (break-glass; man ehx.7).
public struct ReadPolicy: Sendable {
    public let read: [Role: Set<String>]
    public let views: [Role: ReadView]
    public let emergency: X25519.PublicKey?

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["read", "view", "emergency"])
        let table = try f.object("read")
        var read: [Role: Set<String>] = [:]
        for (roleName, kinds) in table.objectValue ?? [:] {
            let role: Role
            do { role = try Role.parse(roleName) } catch { throw RecordError(field: "read.\(roleName)", "unknown role") }
            guard let list = kinds.arrayValue else { throw RecordError(field: "read.\(roleName)", "expected an array of kinds") }
            var set: Set<String> = []
            for k in list {
                guard let name = k.stringValue, name == "*" || ReadingKind(rawValue: name) != nil else {
                    throw RecordError(field: "read.\(roleName)", "\(k.canonicalString) is not a reading kind or \"*\"")
                }
                set.insert(name)
            }
            read[role] = set
        }
        self.read = read
        var views: [Role: ReadView] = [:]
        if f.has("view") {
            for (roleName, value) in (try f.object("view")).objectValue ?? [:] {
                let role: Role
                do { role = try Role.parse(roleName) } catch { throw RecordError(field: "view.\(roleName)", "unknown role") }
                guard let name = value.stringValue, let view = ReadView(rawValue: name) else {
                    throw RecordError(field: "view.\(roleName)", "must be \"full\", \"research\" or \"metadata\"")
                }
                views[role] = view
            }
        }
        self.views = views
        if f.has("emergency") {
            let raw = try f.bytes("emergency", count: X25519.keyByteCount)
            do { emergency = try X25519.PublicKey(rawRepresentation: raw) } catch {
                throw RecordError(field: "emergency", "must be a raw X25519 public key (32 bytes, base64url)")
            }
        } else {
            emergency = nil
        }
    }

    /// What a holder of `role` may see of a sealed body of `kind`.
    public func view(for role: Role, kind: ReadingKind) -> ReadView {
        guard let kinds = read[role], kinds.contains("*") || kinds.contains(kind.rawValue) else { return .metadata }
        return views[role] ?? .full
    }
}
