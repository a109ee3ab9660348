/// The firmware releases a chain records, in chain order, each with its
/// verdict (man ehx.7, FIRMWARE REGISTRY). One ledger is kept in the chain
/// state, so `ehx-query firmware` reads it from the snapshot and the blocks
/// after it; `FirmwareRegistry` builds another from a full replay when it must
/// name why a release does not count. Both enter transactions the same way
/// (`record`), so the two cannot disagree on a chain that keeps its rules.
public struct FirmwareLedger: Sendable, Equatable {
    public struct Release: Sendable, Equatable {
        public let release: FirmwareRelease
        public let txid: SHA256Digest
        public let height: Int64
        /// The signer's key id (16 hex digits).
        public let signer: String
        /// Why it does not count (signature, role, ...), nil when it does.
        public let invalidReason: String?
        public internal(set) var revokedAt: Int64?

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

    public internal(set) var releases: [Release] = []

    public init() {}

    init(releases: [Release]) { self.releases = releases }

    /// Enters a transaction of the block at `height` (any type: only a
    /// firmware body is taken). `invalidReason`: the rules it breaks, nil when
    /// it breaks none. A revocation that breaks a rule withdraws nothing.
    mutating func record(_ tx: Transaction, height: Int64, invalidReason: String?) {
        guard tx.type == .firmware, let body = try? FirmwareRelease(parsing: tx.body) else { return }
        if body.revoked {
            guard invalidReason == nil else { return }
            // By bytes: a revocation names exactly the release it withdraws.
            for i in releases.indices where releases[i].revokedAt == nil && releases[i].release.names(sameAs: body) {
                releases[i].revokedAt = height
            }
        } else {
            releases.append(Release(release: body, txid: tx.txid, height: height,
                                    signer: String(tx.signer.id.hex.prefix(16)), invalidReason: invalidReason))
        }
    }

    /// The releases of the model (and vendor, when given), ids compared by bytes.
    public func matching(model: String, vendor: String?) -> [Release] {
        releases.filter { r in r.release.model.sameBytes(as: model) && (vendor.map { r.release.vendor.sameBytes(as: $0) } ?? true) }
    }
}

extension FirmwareRelease {
    /// The same vendor, model, version (by bytes) and image.
    func names(sameAs other: FirmwareRelease) -> Bool {
        vendor.sameBytes(as: other.vendor) && model.sameBytes(as: other.model) && version.sameBytes(as: other.version)
            && sha256 == other.sha256
    }
}
