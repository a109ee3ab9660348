/// The firmware releases a chain records (`ehx-query firmware`). The chain
/// is replayed through `ChainValidator`, so a release counts only when its
/// signature holds and its signer held the `manufacturer` role at the
/// height of its block. A release is withdrawn by a later firmware
/// transaction with the same vendor, model, version and sha256 and
/// `"revoked":true`, signed by any key that held the manufacturer role at
/// its height (revocation fails safe: at worst a release is wrongly
/// withdrawn, never wrongly accepted). Revoking a manufacturer's key stops
/// its new releases; the ones it signed while it held the role stand until
/// revoked themselves.
public struct FirmwareRegistry: Sendable {
    public struct Release: Sendable {
        public let release: FirmwareRelease
        public let txid: SHA256Digest
        public let height: Int64
        public let signer: String
        /// Why it does not count (signature, role, ...), nil when it does.
        public let invalidReason: String?
        public fileprivate(set) var revokedAt: Int64?

        public var counts: Bool { invalidReason == nil && revokedAt == nil }

        public var json: JSONValue {
            var m = release.json.objectValue ?? [:]
            m["txid"] = .string(txid.hex)
            m["height"] = .number(Double(height))
            m["signer"] = .string(signer)
            if let revokedAt { m["revoked_at"] = .number(Double(revokedAt)) }
            if let invalidReason { m["invalid"] = .string(invalidReason) }
            return .object(m)
        }
    }

    public private(set) var releases: [Release] = []
    private var validator: ChainValidator

    public init(now: Int64) {
        validator = ChainValidator(now: now)
    }

    /// Replays one block. Throws (status 1) when the block itself breaks
    /// the chain's rules: nothing after it can be trusted.
    public mutating func add(_ block: Block, lineBytes: Int) throws(ToolError) {
        let problems = validator.add(block, lineBytes: lineBytes)
        if let broken = problems.first(where: { $0.txid == nil }) {
            throw ToolError(.checkedBad, "the chain breaks its rules at height \(block.height) (\(broken)); run ehx-verify")
        }
        for tx in block.txs where tx.type == .firmware {
            guard let body = try? FirmwareRelease(parsing: tx.body) else { continue }
            let own = problems.filter { $0.txid == tx.txid }
            let reason = own.isEmpty ? nil : own.map(\.description).joined(separator: "; ")
            if body.revoked {
                guard reason == nil else { continue }
                // By bytes: a revocation names exactly the release it withdraws.
                for i in releases.indices where releases[i].revokedAt == nil && releases[i].release.vendor.sameBytes(as: body.vendor)
                    && releases[i].release.model.sameBytes(as: body.model) && releases[i].release.version.sameBytes(as: body.version)
                    && releases[i].release.sha256 == body.sha256 {
                    releases[i].revokedAt = block.height
                }
            } else {
                releases.append(Release(release: body, txid: tx.txid, height: block.height,
                                        signer: String(tx.signer.id.hex.prefix(16)), invalidReason: reason))
            }
        }
    }

    /// Reads the whole chain (pinning its genesis when `genesis` is given).
    public static func load(chain: String, now: Int64, genesis: SHA256Digest? = nil) throws(ToolError) -> FirmwareRegistry {
        var registry = FirmwareRegistry(now: now)
        try ChainReader.forEachBlock(path: chain) { (_, block, bytes) throws(ToolError) in
            if block.height == 0, let genesis, block.claimedHash != genesis {
                throw ToolError(.checkedBad, "\(chain): genesis \(block.claimedHash.displayHex) is not the pinned \(genesis.displayHex)")
            }
            try registry.add(block, lineBytes: bytes)
        }
        return registry
    }

    func matching(model: String, vendor: String?) -> [Release] {
        releases.filter { r in r.release.model.sameBytes(as: model) && (vendor.map { r.release.vendor.sameBytes(as: $0) } ?? true) }
    }

    /// The last release of the model (chain order) that counts.
    public func latest(model: String, vendor: String? = nil) -> Release? {
        matching(model: model, vendor: vendor).last(where: \.counts)
    }

    public enum Verdict: Sendable {
        case accepted(Release)
        case rejected(String)
    }

    /// Whether an image with this hash and size is a registered, counting,
    /// unrevoked release of the model.
    public func check(model: String, vendor: String? = nil, sha256: SHA256Digest, size: Int64) -> Verdict {
        let forModel = matching(model: model, vendor: vendor)
        let what = vendor.map { "model \(model) of \($0)" } ?? "model \(model)"
        guard !forModel.isEmpty else { return .rejected("unknown \(what): no firmware release is registered for it") }
        let same = forModel.filter { $0.release.sha256 == sha256 }
        if let good = same.first(where: { $0.counts && $0.release.size == size }) { return .accepted(good) }
        guard let r = same.last else {
            let latest = latest(model: model, vendor: vendor).map { " (latest registered: version \($0.release.version))" } ?? ""
            return .rejected("sha256 \(sha256.hex) is not a registered release of \(what)\(latest)")
        }
        if let reason = r.invalidReason {
            return .rejected("release \(r.release.version) of \(what) (tx \(r.txid.hex.prefix(16)), height \(r.height)) does not count: \(reason)")
        }
        if let at = r.revokedAt {
            return .rejected("release \(r.release.version) of \(what) (tx \(r.txid.hex.prefix(16))) was revoked at height \(at)")
        }
        return .rejected("size \(size) differs from the registered size \(r.release.size) of release \(r.release.version)")
    }
}
