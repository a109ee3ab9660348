#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A chain file on this machine with its validated state, as the tools that
/// extend or act on the chain need it (ehx-mine, ehx-sign --seal,
/// ehx-verify --append, ehx-query's key paths). The state comes from the
/// snapshot beside the chain (`CHAIN.state`, `ChainSnapshot`) when the chain
/// still holds the snapshot's last block line where it was; only the blocks
/// after it are read and checked. Otherwise (no snapshot, a damaged one, a
/// chain cut, replaced, forked or edited at its tip) the whole chain is
/// replayed, after one line on stderr saying why (none for a first run
/// without a snapshot). Either way every block
/// read passes the validator, and the first problem stops the tool: it
/// must not act on a chain it cannot vouch for.
public struct LocalChain {
    public let path: String
    public let snapshotPath: String
    public private(set) var validator: ChainValidator
    public private(set) var blockHashes: [SHA256Digest] = []
    public private(set) var blockBits: [UInt32] = []
    /// Where the state stands in the chain file (nil before any block).
    public private(set) var binding: ChainSnapshot.Binding?
    /// Blocks read and checked from the chain file by `open`.
    public private(set) var replayedBlocks = 0
    /// Why the snapshot was not used (nil: it was).
    public private(set) var rebuildReason: String?
    /// The binding of the snapshot file as this process last saw it.
    private var savedBinding: ChainSnapshot.Binding?

    public static func snapshotPath(chain: String) -> String { chain + ".state" }

    public var state: ChainState { validator.state }

    private init(path: String, now: Int64) {
        self.path = path
        snapshotPath = Self.snapshotPath(chain: path)
        validator = ChainValidator(now: now)
    }

    /// Loads the state of the chain at `path` and brings it to the chain's
    /// last complete line. A last line without its newline (an append in
    /// progress, or a torn tail the next writer cuts) is not read.
    public static func open(chain path: String, now: Int64, threads: Int, diagnostics: Diagnostics,
                            progress: ProgressMeter? = nil) throws(ToolError) -> LocalChain {
        guard path != "-" else { throw ToolError(.usage, "the chain must be a file, not stdin") }
        let cursor = try ChainCursor(path: path)
        var local = LocalChain(path: path, now: now)
        switch Self.loadSnapshot(path: local.snapshotPath, cursor: cursor) {
        case .usable(let snapshot):
            local.validator = ChainValidator(now: now, state: snapshot.state)
            local.blockHashes = snapshot.blockHashes
            local.blockBits = snapshot.blockBits
            local.binding = snapshot.binding
            local.savedBinding = snapshot.binding
            cursor.rewind(to: snapshot.binding.chainBytes)
        case .missing:
            // A first run (or the operator deleted it to force a rebuild):
            // nothing is wrong, so nothing is said beyond progress on a terminal.
            local.rebuildReason = "no snapshot"
            cursor.rewind(to: 0)
        case .refused(let why):
            local.rebuildReason = why
            // Printed even with -q: a chain changed behind the snapshot's
            // back is something the operator must hear about.
            diagnostics.error("\(local.snapshotPath): not used: \(why); rebuilding the state from the whole chain")
            cursor.rewind(to: 0)
        }
        try local.replay(cursor, threads: threads, progress: local.rebuildReason == nil ? nil : progress)
        guard local.state.height >= 0 else { throw ToolError(.dataErr, "\(path): empty chain (no genesis block)") }
        return local
    }

    private enum Loaded {
        case usable(ChainSnapshot)
        case missing
        case refused(String)
    }

    private static func loadSnapshot(path: String, cursor: ChainCursor) -> Loaded {
        let snapshot: ChainSnapshot
        switch readSnapshotFile(path) {
        case .missing: return .missing
        case .refused(let why): return .refused(why)
        case .read(let read): snapshot = read
        }
        let binding = snapshot.binding
        let size = cursor.fileSize
        guard size >= binding.chainBytes else {
            return .refused("the chain is shorter (\(size) bytes) than the \(binding.chainBytes) it covers: cut or replaced")
        }
        let line: [UInt8]
        do { line = try cursor.read(at: binding.chainBytes - binding.lastLineBytes, count: Int(binding.lastLineBytes)) } catch {
            return .refused("\(error)")
        }
        guard SHA256.hash(line) == binding.lastLineHash else {
            return .refused("the chain no longer holds its block \(snapshot.state.height) \(snapshot.state.tip.displayHex) where it was: edited, replaced or forked")
        }
        return .usable(snapshot)
    }

    /// Reads and checks every complete line from the cursor on, in windows
    /// whose parsing and signatures run on `threads` threads (`ChainBatch`).
    private mutating func replay(_ cursor: ChainCursor, threads: Int, progress: ProgressMeter?) throws(ToolError) {
        let total = cursor.fileSize
        var window: [LineReader.Line] = []
        var windowBytes = 0
        var end = cursor.offset
        func check(_ local: inout LocalChain) throws(ToolError) {
            guard let last = window.last else { return }
            for prepared in ChainBatch.prepare(window, threads: threads) {
                let line = prepared.line
                let block: Block
                switch prepared.parsed {
                case .failure(let problem):
                    throw ToolError(.dataErr, "\(local.path):\(line.number): \(problem) (run ehx-verify for the full report)")
                case .success(let parsed):
                    block = parsed
                }
                let problems = local.validator.add(block, lineBytes: line.bytes.count + 1, facts: prepared.facts)
                if let first = problems.first {
                    throw ToolError(.dataErr, "\(local.path):\(line.number): block \(block.height): \(first) (run ehx-verify for the full report)")
                }
                local.blockHashes.append(local.validator.state.tip)
                local.blockBits.append(block.header.bits)
                local.replayedBlocks += 1
            }
            local.binding = ChainSnapshot.Binding(chainBytes: end, lastLineBytes: Int64(last.bytes.count + 1),
                                                  lastLineHash: SHA256.hash(last.bytes + [0x0a]))
            window.removeAll(keepingCapacity: true)
            windowBytes = 0
            progress?.update(blocks: local.state.height + 1, transactions: local.state.txCount, bytes: end, totalBytes: total)
        }
        while let (offset, bytes) = try cursor.next() {
            // A valid chain has block h on line h + 1.
            window.append(LineReader.Line(number: Int(state.height) + 2 + window.count, bytes: bytes, terminated: true))
            windowBytes += bytes.count
            end = offset + Int64(bytes.count) + 1
            if window.count >= ChainAudit.windowLines || windowBytes >= ChainAudit.windowBytes { try check(&self) }
        }
        try check(&self)
        progress?.finish(blocks: state.height + 1, transactions: state.txCount, bytes: end, totalBytes: total)
    }

    // MARK: - Extending the chain

    /// Mines the candidate on the tip and appends it (`ChainValidator.mineAndAppend`),
    /// keeping the binding in step with the file.
    public mutating func mineAndAppend(_ candidate: BlockCandidate, to file: ChainFile, key: Ed25519.PrivateKey,
                                       threads: Int, shouldStop: () -> Bool = { false }) throws -> Block {
        let block = try validator.mineAndAppend(candidate, to: file, key: key, threads: threads, shouldStop: shouldStop)
        let line = block.canonicalLine
        let start = binding?.chainBytes ?? 0
        binding = ChainSnapshot.Binding(chainBytes: start + Int64(line.count), lastLineBytes: Int64(line.count), lastLineHash: SHA256.hash(line))
        blockHashes.append(validator.state.tip)
        blockBits.append(block.header.bits)
        return block
    }

    /// After the caller appended `lines` (each a block line without its
    /// newline, in order) to the file, checked by `validator`, which now
    /// stands on the last of them: `hashes` and `bits` are theirs.
    public mutating func appended(lines: [[UInt8]], hashes: [SHA256Digest], bits: [UInt32], validator: ChainValidator) {
        guard let last = lines.last else { return }
        let start = binding?.chainBytes ?? 0
        let added = lines.reduce(0) { $0 + Int64($1.count + 1) }
        binding = ChainSnapshot.Binding(chainBytes: start + added, lastLineBytes: Int64(last.count + 1), lastLineHash: SHA256.hash(last + [0x0a]))
        blockHashes += hashes
        blockBits += bits
        self.validator = validator
    }

    /// The exact work of blocks with these bits (fork reports).
    public static func work<S: Sequence>(ofBits bits: S) -> ChainWork where S.Element == UInt32 {
        var work = ChainWork.zero
        var byBits: [UInt32: ChainWork] = [:]
        for b in bits {
            if let known = byBits[b] { work += known; continue }
            guard let target = try? CompactTarget(bits: b) else { continue }
            let one = ChainWork(of: target)
            byBits[b] = one
            work += one
        }
        return work
    }

    // MARK: - The snapshot

    /// Writes the snapshot atomically when the state moved since it was
    /// read or last written: a reader sees the old snapshot or the new one.
    public mutating func save() throws(ToolError) {
        guard let binding, binding != savedBinding else { return }
        let snapshot = ChainSnapshot(state: state, binding: binding, blockHashes: blockHashes, blockBits: blockBits)
        // Streamed a MiB at a time: the snapshot of a long chain is never
        // whole in memory.
        var encodingError: ChainSnapshotError?
        do {
            let (directory, name) = try SafeDirectory.containing(snapshotPath)
            try directory.replace(name, mode: 0o600) { fd in
                do throws(ChainSnapshotError) { return try snapshot.write(toFile: fd) } catch {
                    encodingError = error
                    return EINVAL
                }
            }
        } catch {
            if let encodingError { throw ToolError(.ioErr, "\(snapshotPath): cannot encode the state: \(encodingError)") }
            throw ToolError(.cantCreate, "\(snapshotPath): cannot create: \(KeyFile.reason(error, path: snapshotPath))")
        }
        savedBinding = binding
    }

    /// As `save`, for tools that only read the chain: a snapshot they cannot
    /// write (a read-only directory) costs the next run time, not this one.
    public mutating func saveIfPossible(_ diagnostics: Diagnostics) {
        do { try save() } catch {
            diagnostics.note("\(snapshotPath): state snapshot not saved: \(error.description)")
        }
    }
}

private enum SnapshotFile {
    case missing
    case refused(String)
    case read(ChainSnapshot)
}

/// The snapshot at `path`, read a MiB at a time (`ChainSnapshot.read`).
private func readSnapshotFile(_ path: String) -> SnapshotFile {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        if errno == ENOENT { return .missing }
        return .refused("unreadable (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .refused("unreadable (not a regular file)") }
    do { return .read(try ChainSnapshot.read(fd: fd, size: Int(info.st_size))) } catch { return .refused("unreadable: \(error)") }
}
