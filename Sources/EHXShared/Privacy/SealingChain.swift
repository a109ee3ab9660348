#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The chain `ehx-sign --seal` takes its recipients from, pinned and
/// followed (issue 16, items 2 and 3).
///
/// - Pinned: the chain must descend from the genesis the operator names
///   (`--genesis`), as ehx-verify's is. A substituted chain that is
///   consistent on its own, naming the real gateway key and granting a spy
///   key, would otherwise redirect every new reading to the spy.
/// - Validated: every block passes the validator, as for ehx-mine.
/// - Followed: `refresh` reads the blocks appended since, so a revocation
///   or a narrowed policy mined while the sealer runs applies to the next
///   reading it seals, without a restart. A file replaced or cut below what
///   was read is read again from its genesis, pin and all.
public final class SealingChain {
    public let path: String
    public let genesis: SHA256Digest
    private var validator: ChainValidator
    private var cursor: ChainCursor
    private var identity: (UInt64, UInt64)
    private var lines = 0
    /// Who each kind is sealed for at the tip read so far.
    public private(set) var recipients: [ReadingKind: [SealRecipient]] = [:]

    public init(path: String, genesis: SHA256Digest, now: Int64) throws(ToolError) {
        self.path = path
        self.genesis = genesis
        validator = ChainValidator(now: now)
        cursor = try ChainCursor(path: path)
        identity = cursor.identity
        try readNewBlocks()
        guard lines > 0 else { throw ToolError(.dataErr, "\(path): empty chain (no genesis block)") }
        recipients = Self.recipients(validator.state)
    }

    public var state: ChainState { validator.state }

    /// Reads what was appended since the last call. Returns one line per
    /// reader key whose sealing changed (for stderr); throws when the chain
    /// no longer verifies or no longer descends from the pinned genesis.
    public func refresh(now: Int64) throws(ToolError) -> [String] {
        var info = stat()
        let replaced = stat(path, &info) == 0 && (UInt64(info.st_dev), UInt64(info.st_ino)) != identity
        if replaced || cursor.fileSize < cursor.offset {
            // A restore or a rename into place: judge the new file whole.
            validator = ChainValidator(now: now)
            cursor = try ChainCursor(path: path)
            identity = cursor.identity
            lines = 0
        } else if cursor.fileSize == cursor.offset {
            return []
        }
        validator.now = now
        let height = validator.state.height
        try readNewBlocks()
        guard lines > 0 else { throw ToolError(.dataErr, "\(path): empty chain (no genesis block)") }
        if validator.state.height == height && !replaced { return [] }
        let next = Self.recipients(validator.state)
        let notes = Self.changes(from: recipients, to: next, height: validator.state.height)
        recipients = next
        return notes
    }

    private func readNewBlocks() throws(ToolError) {
        while let (_, bytes) = try cursor.next() {
            lines += 1
            let block: Block
            do { block = try BlockLine.parse(bytes) } catch {
                throw ToolError(.dataErr, "\(path):\(lines): \(error) (run ehx-verify for the full report)")
            }
            let problems = validator.add(block, lineBytes: bytes.count + 1)
            if let first = problems.first {
                throw ToolError(.dataErr, "\(path):\(lines): block \(block.height): \(first) (run ehx-verify for the full report); refusing to seal under it")
            }
            if block.height == 0 && block.claimedHash != genesis {
                throw ToolError(.dataErr, "\(path): genesis \(block.claimedHash.displayHex) is not the pinned --genesis \(genesis.displayHex); refusing to seal for the readers it names")
            }
        }
    }

    static func recipients(_ state: ChainState) -> [ReadingKind: [SealRecipient]] {
        var out: [ReadingKind: [SealRecipient]] = [:]
        for kind in ReadingKind.allCases { out[kind] = state.sealRecipients(kind: kind) }
        return out
    }

    /// "block H: no longer sealing for KID16", or what its view became.
    static func changes(from old: [ReadingKind: [SealRecipient]], to new: [ReadingKind: [SealRecipient]], height: Int64) -> [String] {
        func byKid(_ map: [ReadingKind: [SealRecipient]]) -> [String: [ReadingKind: ReadView]] {
            var out: [String: [ReadingKind: ReadView]] = [:]
            for (kind, list) in map { for r in list { out[r.kid, default: [:]][kind] = r.view } }
            return out
        }
        let before = byKid(old), after = byKid(new)
        var notes: [String] = []
        for kid in Set(before.keys).union(after.keys).sorted() where before[kid] != after[kid] {
            let id = kid.prefix(16)
            guard let now = after[kid] else {
                notes.append("block \(height): no longer sealing for \(id) (revoked, or the policy no longer lets it read)")
                continue
            }
            let views = ReadingKind.allCases.compactMap { k in now[k].map { "\(k.rawValue) \($0.rawValue)" } }.joined(separator: ", ")
            notes.append("block \(height): \(before[kid] == nil ? "now also sealing" : "sealing changed") for \(id): \(views)")
        }
        return notes
    }
}
