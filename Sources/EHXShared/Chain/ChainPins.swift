/// Trust anchors an auditor brings from outside the chain: a chain vouches
/// for itself only up to its genesis, so the verdict depends on these.
public struct ChainPins: Sendable {
    public let genesis: SHA256Digest?
    public let authority: Ed25519.PublicKey?
    public let expectTip: SHA256Digest?
    /// `--checkpoint HEIGHT:HASH`: the block at HEIGHT must have HASH.
    public let checkpoints: [Int64: SHA256Digest]
    /// `--min-work HEX`: the chain (or a proof's header chain) from the
    /// pinned genesis must hold at least this much work.
    public let minWork: ChainWork?

    public init(genesis: SHA256Digest? = nil, authority: Ed25519.PublicKey? = nil, expectTip: SHA256Digest? = nil,
                checkpoints: [Int64: SHA256Digest] = [:], minWork: ChainWork? = nil) {
        self.genesis = genesis
        self.authority = authority
        self.expectTip = expectTip
        self.checkpoints = checkpoints
        self.minWork = minWork
    }

    /// From command-line text: hashes in display hex; the authority as a
    /// public-key PEM file or a base64url raw key; checkpoints as HEIGHT:HASH.
    public init(genesis: String?, authority: String?, expectTip: String?, checkpoints: [String] = [],
                minWork: String? = nil) throws(ToolError) {
        func hash(_ text: String?, _ option: String) throws(ToolError) -> SHA256Digest? {
            guard let text else { return nil }
            guard let digest = SHA256Digest(displayHex: text) else {
                throw ToolError(.usage, "\(option) \(text): not a block hash (64 lowercase hex digits)")
            }
            return digest
        }
        self.genesis = try hash(genesis, "--genesis")
        self.expectTip = try hash(expectTip, "--expect-tip")
        var points: [Int64: SHA256Digest] = [:]
        for text in checkpoints {
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let height = Int64(parts[0]), height >= 0, height <= Int64(UInt32.max),
                  let digest = SHA256Digest(displayHex: String(parts[1])) else {
                throw ToolError(.usage, "--checkpoint \(text): not HEIGHT:HASH (a height and 64 lowercase hex digits)")
            }
            if let other = points[height], other != digest {
                throw ToolError(.usage, "--checkpoint: two different hashes for height \(height)")
            }
            points[height] = digest
        }
        if let g = self.genesis, let c = points[0], g != c {
            throw ToolError(.usage, "--checkpoint 0:\(c.displayHex) contradicts --genesis \(g.displayHex)")
        }
        self.checkpoints = points
        if let minWork {
            guard (1...64).contains(minWork.utf8.count), let work = ChainWork(hex: minWork) else {
                throw ToolError(.usage, "--min-work \(minWork): not an amount of work (1 to 64 lowercase hex digits, as ehx-query tip prints it)")
            }
            self.minWork = work
        } else {
            self.minWork = nil
        }
        if let authority {
            if let raw = Base64URL.decode(authority), raw.count == 32, let key = try? Ed25519.PublicKey(rawRepresentation: raw) {
                self.authority = key
            } else {
                do { self.authority = try KeyFile.readPublicKey(path: authority) } catch {
                    throw ToolError(error.exitStatus, "--authority: \(error)")
                }
            }
        } else {
            self.authority = nil
        }
    }

    /// A checkpoint at height 0 pins the genesis as `--genesis` does.
    public var pinsGenesis: Bool { genesis != nil || authority != nil || checkpoints[0] != nil }

    public var pinsTip: Bool { expectTip != nil }
}
