/// The rules a chain is born with, carried by its genesis transaction:
/// name, authority keys, proof-of-work bits, an optional difficulty
/// retarget, block limits and the first role grants. Every later check on
/// the chain derives from these.
public struct ChainRules: Sendable {
    /// Bitcoin's difficulty retarget (`man ehx.7`, DIFFICULTY): every
    /// `interval` blocks the target is scaled by how long the last interval
    /// took against `interval × spacing` seconds. Absent: fixed difficulty.
    public struct Retarget: Sendable, Equatable {
        public static let intervals: ClosedRange<Int64> = 2...1_000_000
        public static let spacings: ClosedRange<Int64> = 1...(7 * 86_400)

        /// Blocks per retarget period.
        public let interval: Int64
        /// Target seconds per block.
        public let spacing: Int64

        public init(interval: Int64, spacing: Int64) {
            self.interval = interval
            self.spacing = spacing
        }

        /// Seconds one interval should take (interval × spacing).
        public var targetTimespan: Int64 { interval * spacing }

        public init(parsing json: JSONValue) throws(RecordError) {
            let f = try RecordFields(json, allowed: ["interval", "spacing"])
            interval = try f.integer("interval", in: Self.intervals)
            spacing = try f.integer("spacing", in: Self.spacings)
        }

        public var json: JSONValue {
            ["interval": .number(Double(interval)), "spacing": .number(Double(spacing))]
        }
    }


    public struct Grant: Sendable, Equatable {
        public let role: Role
        public let key: Ed25519.PublicKey
        /// Rules 2: the devices (ids or pseudonyms) this key speaks for.
        public let devices: [String]

        public init(role: Role, key: Ed25519.PublicKey, devices: [String] = []) {
            self.role = role
            self.key = key
            self.devices = devices
        }

        public var json: JSONValue {
            var m: [String: JSONValue] = ["role": .string(role.rawValue), "key": .string(Base64URL.encode(key.rawRepresentation))]
            if !devices.isEmpty { m["devices"] = .array(devices.map { .string($0) }) }
            return .object(m)
        }
    }

    /// The rules version a genesis without `rules` has: the rules of ehx
    /// before device binding, alert refs and bound sealed bodies (man ehx.7,
    /// THE RULES), kept so that chains written then still verify.
    public static let legacyRulesVersion: Int64 = 1
    /// What `ehx-keygen genesis` writes, and the highest this ehx knows.
    public static let currentRulesVersion: Int64 = 2

    public static let defaultMaxBlockTxs: Int64 = 10_000
    public static let defaultMaxBlockBytes: Int64 = 8 << 20

    public let chain: String
    public let authorities: [Ed25519.PublicKey]
    public let bits: CompactTarget
    /// nil: every block carries `bits` (fixed difficulty, the default).
    public let retarget: Retarget?
    public let maxBlockTxs: Int64
    public let maxBlockBytes: Int64
    public let grants: [Grant]
    /// 1 (no `rules` member) or 2; see `legacyRulesVersion`.
    public let rulesVersion: Int64

    /// Rules 2: device binding, reading time, alert refs and repeats, bound
    /// and reader-checked sealed bodies.
    public var bindsDevices: Bool { rulesVersion >= 2 }

    public init(chain: String, authorities: [Ed25519.PublicKey], bits: CompactTarget,
                retarget: Retarget? = nil,
                maxBlockTxs: Int64 = defaultMaxBlockTxs, maxBlockBytes: Int64 = defaultMaxBlockBytes,
                grants: [Grant], rulesVersion: Int64 = legacyRulesVersion) {
        self.rulesVersion = rulesVersion
        self.chain = chain
        self.authorities = authorities
        self.bits = bits
        self.retarget = retarget
        self.maxBlockTxs = maxBlockTxs
        self.maxBlockBytes = maxBlockBytes
        self.grants = grants
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["chain", "authorities", "bits", "retarget", "max_block_txs", "max_block_bytes", "grants", "rules"])
        if f.has("rules") {
            let version = try f.integer("rules", in: 0...Int64(Int32.max))
            guard (Self.legacyRulesVersion...Self.currentRulesVersion).contains(version) else {
                throw RecordError(field: "rules", "rules version \(version); this ehx knows 1 to \(Self.currentRulesVersion): verify this chain with a newer ehx")
            }
            // 1 is written by leaving the member out, so one rule set has one genesis form.
            guard version > Self.legacyRulesVersion else { throw RecordError(field: "rules", "rules version 1 is written by leaving \"rules\" out") }
            rulesVersion = version
        } else {
            rulesVersion = Self.legacyRulesVersion
        }
        chain = try f.string("chain", maxLength: 128)
        var authorities: [Ed25519.PublicKey] = []
        for (i, a) in try f.array("authorities").enumerated() {
            guard let s = a.stringValue, let raw = Base64URL.decode(s), let key = try? Ed25519.PublicKey(rawRepresentation: raw) else {
                throw RecordError(field: "authorities[\(i)]", "not a base64url Ed25519 public key")
            }
            authorities.append(key)
        }
        guard !authorities.isEmpty else { throw RecordError(field: "authorities", "must list at least one key") }
        self.authorities = authorities
        let bitsHex = try f.string("bits", maxLength: 8)
        guard let bits = CompactTarget(bitsHex: bitsHex) else {
            throw RecordError(field: "bits", "\"\(bitsHex)\" is not a valid compact target (8 hex digits, e.g. 1f00ffff)")
        }
        self.bits = bits
        if f.has("retarget") {
            do { retarget = try Retarget(parsing: try f.value("retarget")) } catch { throw error.nested(in: "retarget") }
        } else {
            retarget = nil
        }
        maxBlockTxs = try f.integer("max_block_txs", in: 2...1_000_000)
        maxBlockBytes = try f.integer("max_block_bytes", in: 1024...(1 << 30))
        var grants: [Grant] = []
        for (i, g) in try f.array("grants").enumerated() {
            do throws(RecordError) {
                let gf = try RecordFields(g, allowed: ["role", "key", "devices"])
                let role = try Role.parse(try gf.string("role", maxLength: 32))
                let devices = gf.has("devices") ? try KeyChange.deviceList(gf, role: role) : []
                if !devices.isEmpty && rulesVersion < 2 { throw RecordError(field: "devices", "device binding needs \"rules\":2") }
                grants.append(Grant(role: role, key: try gf.publicKey("key"), devices: devices))
            } catch {
                throw error.nested(in: "grants[\(i)]")
            }
        }
        self.grants = grants
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "chain": .string(chain),
            "authorities": .array(authorities.map { .string(Base64URL.encode($0.rawRepresentation)) }),
            "bits": .string(bits.bitsHex),
            "max_block_txs": .number(Double(maxBlockTxs)),
            "max_block_bytes": .number(Double(maxBlockBytes)),
            "grants": .array(grants.map(\.json)),
        ]
        if let retarget { members["retarget"] = retarget.json }
        if rulesVersion > Self.legacyRulesVersion { members["rules"] = .number(Double(rulesVersion)) }
        return .object(members)
    }
}
