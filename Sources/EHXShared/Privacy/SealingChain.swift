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
///   key, would otherwise redirect every new reading to the spy. The pin is
///   held to the genesis line of the file and to the state's genesis, so a
///   snapshot (`LocalChain`) cannot stand in for it.
/// - Validated: the state comes from `LocalChain`, as for ehx-mine: the
///   snapshot beside the chain when it still matches the file, extended by
///   the blocks after it, each passing the validator; the whole chain only
///   when there is no usable snapshot.
/// - Followed: `refresh` reads the blocks appended since, so a revocation
///   or a narrowed policy mined while the sealer runs applies to the next
///   reading it seals, without a restart. A file replaced or cut below what
///   was read is opened again, snapshot checks and pin and all.
public final class SealingChain {
    public let path: String
    public let genesis: SHA256Digest
    private var local: LocalChain
    private let threads: Int
    private let diagnostics: Diagnostics
    /// Who each kind is sealed for at the tip read so far.
    public private(set) var recipients: [ReadingKind: [SealRecipient]] = [:]

    public init(path: String, genesis: SHA256Digest, now: Int64, threads: Int = 1, diagnostics: Diagnostics,
                progress: ProgressMeter? = nil) throws(ToolError) {
        self.path = path
        self.genesis = genesis
        self.threads = threads
        self.diagnostics = diagnostics
        local = try Self.open(path: path, genesis: genesis, now: now, threads: threads, diagnostics: diagnostics, progress: progress)
        recipients = Self.recipients(local.state)
    }

    public var state: ChainState { local.state }

    /// Blocks read and checked from the file so far (the rest came from the snapshot).
    public var blocksRead: Int { local.replayedBlocks }

    private static func open(path: String, genesis: SHA256Digest, now: Int64, threads: Int, diagnostics: Diagnostics,
                             progress: ProgressMeter?) throws(ToolError) -> LocalChain {
        var local: LocalChain
        do {
            local = try LocalChain.open(chain: path, now: now, threads: threads, diagnostics: diagnostics, progress: progress)
        } catch {
            throw Self.refusing(error)
        }
        if let problem = try local.pinProblems(ChainPins(genesis: genesis)).first {
            throw ToolError(.dataErr, "\(path): \(problem.detail): refusing to seal for the readers it names")
        }
        // The next start reads only what is new; a sealer that cannot write
        // beside the chain still seals.
        local.saveIfPossible(diagnostics)
        return local
    }

    /// A chain that does not verify: said so, as the reason nothing is sealed.
    private static func refusing(_ error: ToolError) -> ToolError {
        error.exitStatus == .dataErr ? ToolError(.dataErr, "\(error.description); refusing to seal under it") : error
    }

    /// Reads what was appended since the last call. Returns one line per
    /// reader key whose sealing changed (for stderr); throws when the chain
    /// no longer verifies or no longer descends from the pinned genesis.
    public func refresh(now: Int64) throws(ToolError) -> [String] {
        let height = local.state.height
        let replaced = local.fileReplaced
        if replaced {
            // A restore or a rename into place: judge the new file whole.
            local = try Self.open(path: path, genesis: genesis, now: now, threads: threads, diagnostics: diagnostics, progress: nil)
        } else {
            do {
                guard try local.readAppended(now: now, threads: threads) > 0 else { return [] }
            } catch {
                throw Self.refusing(error)
            }
        }
        if local.state.height == height && !replaced { return [] }
        let next = Self.recipients(local.state)
        let notes = Self.changes(from: recipients, to: next, height: local.state.height)
        recipients = next
        return notes
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
