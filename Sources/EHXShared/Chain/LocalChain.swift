import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A chain file on this machine with its validated state, as the tools that
/// extend or act on the chain need it (ehx-mine, ehx-sign --seal,
/// ehx-verify --append, ehx-query's key paths). The state comes from the
/// snapshot beside the chain (`CHAIN.state`, `ChainSnapshot`) when the chain
/// still holds what the snapshot covered; only the blocks after it are read
/// and checked. What it covered is known to be unchanged when the file's
/// stamp (device, inode, ctime: `FileStamp`) is the one the snapshot
/// recorded, or else (an append the snapshot missed, a chmod, a restored
/// copy) when the covered bytes hash again to the snapshot's lines digest.
/// Otherwise (no snapshot, a damaged one, a chain cut, replaced, forked or
/// edited anywhere) the whole chain is replayed, after one line on stderr
/// saying why (none for a first run without a snapshot). Either way every
/// block read passes the validator, and the first problem stops the tool:
/// it must not act on a chain it cannot vouch for.
public struct LocalChain {
    public let path: String
    public let snapshotPath: String
    public private(set) var validator: ChainValidator
    public private(set) var blockHashes: [SHA256Digest] = []
    public private(set) var blockBits: [UInt32] = []
    /// Each block's time and the bits the rules required of it (fork weighing).
    public private(set) var blockTimes: [UInt32] = []
    public private(set) var blockRequiredBits: [UInt32] = []
    /// Where the state stands in the chain file (nil before any block).
    public private(set) var binding: ChainSnapshot.Binding?
    /// Blocks read and checked from the chain file by `open` and `readAppended`.
    public private(set) var replayedBlocks = 0
    /// Why the snapshot was not used (nil: it was).
    public private(set) var rebuildReason: String?
    /// The binding of the snapshot file as this process last saw it.
    private var savedBinding: ChainSnapshot.Binding?
    /// Keys gathered in memory before a save moves them to a run (tests set it low).
    var keyRunThreshold = ChainKeys.runThreshold
    private let cursor: ChainCursor

    public static func snapshotPath(chain: String) -> String { chain + ".state" }

    public var state: ChainState { validator.state }

    private init(path: String, now: Int64, cursor: ChainCursor) {
        self.path = path
        snapshotPath = Self.snapshotPath(chain: path)
        validator = ChainValidator(now: now)
        self.cursor = cursor
    }

    /// Loads the state of the chain at `path` and brings it to the chain's
    /// last complete line. A last line without its newline (an append in
    /// progress, or a torn tail the next writer cuts) is not read.
    public static func open(chain path: String, now: Int64, threads: Int, diagnostics: Diagnostics,
                            progress: ProgressMeter? = nil) throws(ToolError) -> LocalChain {
        guard path != "-" else { throw ToolError(.usage, "the chain must be a file, not stdin") }
        let cursor = try ChainCursor(path: path)
        // Taken before any byte is read: a write after it changes the stamp,
        // so the next run looks again instead of trusting what this one read.
        let stamp = cursor.stamp
        var local = LocalChain(path: path, now: now, cursor: cursor)
        switch Self.loadSnapshot(path: local.snapshotPath, cursor: cursor, stamp: stamp,
                                 progress: progress?.step("checking the chain's lines against the snapshot")) {
        case .usable(let snapshot):
            local.validator = ChainValidator(now: now, state: snapshot.state)
            local.blockHashes = snapshot.blockHashes
            local.blockBits = snapshot.blockBits
            local.blockTimes = snapshot.blockTimes
            local.blockRequiredBits = snapshot.blockRequiredBits
            local.savedBinding = snapshot.binding
            var binding = snapshot.binding
            binding.stamp = stamp
            local.binding = binding
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
        try local.replay(threads: threads, stamp: stamp, progress: local.rebuildReason == nil ? nil : progress)
        guard local.state.height >= 0 else { throw ChainReader.empty(path) }
        return local
    }

    private enum Loaded {
        case usable(ChainSnapshot)
        case missing
        case refused(String)
    }

    /// Tests only, by snapshot path: runs after a read found a named key
    /// run missing and before the snapshot is read again, standing in for
    /// the other process's save that put a new snapshot in place meanwhile.
    static let beforeRereading = Mutex<[String: @Sendable () -> Void]>([:])

    /// The prefix of the chain a snapshot covers, as a reader that judges
    /// nothing may take it (`ChainReader.tip`): its bytes, its lines and
    /// their work.
    public struct CoveredPrefix: Sendable {
        public let bytes: Int64
        public let lines: Int64
        public let work: ChainWork
    }

    /// The covered prefix when the snapshot holds without reading the
    /// chain: a regular file whose stamp is the one the snapshot recorded,
    /// its last covered line in place. Nil otherwise (no snapshot, a
    /// refused one, or one that would need the covered lines hashed again,
    /// which costs as much as reading them).
    public static func coveredPrefix(chain path: String) throws(ToolError) -> CoveredPrefix? {
        var info = stat()
        guard path != "-", stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let cursor = try ChainCursor(path: path)
        guard case .usable(let snapshot) = loadSnapshot(path: snapshotPath(chain: path), cursor: cursor, stamp: cursor.stamp,
                                                        progress: nil, rehash: false) else { return nil }
        return CoveredPrefix(bytes: snapshot.binding.chainBytes, lines: snapshot.state.height + 1, work: snapshot.state.chainWork)
    }

    /// Whether the chain has no snapshot or one `open` would take as this
    /// user's own (a regular file it owns, not writable by group or
    /// others). A reader with another way to its answer (`ehx-query
    /// firmware`) asks first, so a snapshot another account keeps is passed
    /// over in silence rather than announced as refused on every run.
    public static func snapshotIsOwnOrAbsent(chain path: String) -> Bool {
        var info = stat()
        guard stat(snapshotPath(chain: path), &info) == 0 else { return errno == ENOENT }
        return notOwn(info) == nil
    }

    private static func loadSnapshot(path: String, cursor: ChainCursor, stamp: FileStamp?, progress: ProgressMeter?,
                                     rehash: Bool = true) -> Loaded {
        var snapshot: ChainSnapshot?
        // A run missing is a save of another process that merged it away
        // between our reading the snapshot and opening the run: read the
        // snapshot that save left.
        for attempt in 1...3 where snapshot == nil {
            switch readSnapshotFile(path) {
            case .missing: return .missing
            case .refused(let why): return .refused(why)
            case .missingRun(let why):
                if attempt == 3 { return .refused(why) }
                if let hook = beforeRereading.withLock({ $0[path] }) { hook() }
            case .read(let read): snapshot = read
            }
        }
        guard let snapshot else { return .missing }
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
        if let stamp, binding.stamp == stamp { return .usable(snapshot) }
        guard rehash else { return .refused("the chain changed since the snapshot (its stamp)") }
        // Written since (or another file): the covered bytes must be the ones checked.
        do {
            guard try Self.linesDigest(of: cursor, through: binding.chainBytes, progress: progress) == binding.linesDigest else {
                return .refused("the chain's first \(binding.chainBytes) bytes are not those it covers: edited or replaced behind its back")
            }
        } catch {
            return .refused("\(error)")
        }
        return .usable(snapshot)
    }

    /// The lines digest (`ChainSnapshot.Binding.linesDigest`) of the file's
    /// first `bytes` bytes; nil when they do not end a line.
    /// `progress` shows it (it reads the file once: seconds at 10^6).
    private static func linesDigest(of cursor: ChainCursor, through bytes: Int64, progress: ProgressMeter?) throws(ToolError) -> SHA256Digest? {
        cursor.rewind(to: 0)
        var digest = SHA256Digest.zero
        var lines: Int64 = 0
        while cursor.offset < bytes, let (_, line) = try cursor.next() {
            digest = ChainSnapshot.Binding.digest(digest, then: SHA256.hash(line + [0x0a]))
            lines += 1
            progress?.update(blocks: lines, bytes: cursor.offset, totalBytes: bytes)
        }
        progress?.finish(blocks: lines, bytes: cursor.offset, totalBytes: bytes)
        return cursor.offset == bytes ? digest : nil
    }

    /// Reads and checks every complete line from the cursor on, in windows
    /// whose parsing and signatures run on `threads` threads (`ChainBatch`).
    /// `stamp`: the file's, taken before these bytes were read.
    private mutating func replay(threads: Int, stamp: FileStamp?, progress: ProgressMeter?) throws(ToolError) {
        let cursor = self.cursor
        let total = cursor.fileSize
        var window: [LineReader.Line] = []
        var windowBytes = 0
        var end = cursor.offset
        var digest = binding?.linesDigest ?? .zero
        var lastHash = SHA256Digest.zero
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
                local.record(block)
                local.replayedBlocks += 1
            }
            local.binding = ChainSnapshot.Binding(chainBytes: end, lastLineBytes: Int64(last.bytes.count + 1),
                                                  lastLineHash: lastHash, stamp: stamp, linesDigest: digest)
            window.removeAll(keepingCapacity: true)
            windowBytes = 0
            progress?.update(blocks: local.state.height + 1, transactions: local.state.txCount, bytes: end, totalBytes: total)
        }
        while let (offset, bytes) = try cursor.next() {
            // A valid chain has block h on line h + 1.
            window.append(LineReader.Line(number: Int(state.height) + 2 + window.count, bytes: bytes, terminated: true))
            windowBytes += bytes.count
            end = offset + Int64(bytes.count) + 1
            lastHash = SHA256.hash(bytes + [0x0a])
            digest = ChainSnapshot.Binding.digest(digest, then: lastHash)
            if window.count >= ChainAudit.windowLines || windowBytes >= ChainAudit.windowBytes { try check(&self) }
        }
        try check(&self)
        progress?.finish(blocks: state.height + 1, transactions: state.txCount, bytes: end, totalBytes: total)
    }

    /// Keeps what fork weighing and re-sent blocks need of the block the
    /// validator now stands on.
    private mutating func record(_ block: Block) {
        blockHashes.append(validator.state.tip)
        blockBits.append(block.header.bits)
        blockTimes.append(block.header.time)
        blockRequiredBits.append(validator.state.tipRequiredBits)
    }

    // MARK: - Following the chain

    /// Whether the path now names another file than the one read, or the
    /// file is shorter than what was read (a restore, a rename into place,
    /// a cut): then the caller opens it again, snapshot checks and all.
    public var fileReplaced: Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return true }
        let (device, inode) = cursor.identity
        return (UInt64(info.st_dev), UInt64(info.st_ino)) != (device, inode) || cursor.fileSize < (binding?.chainBytes ?? 0)
    }

    /// Reads and checks the blocks appended since `open` or the last call;
    /// returns how many. The binding keeps the stamp it had: this process
    /// did not see who wrote them, so a run that trusts the snapshot after
    /// this one hashes the covered lines again first.
    @discardableResult
    public mutating func readAppended(now: Int64, threads: Int) throws(ToolError) -> Int {
        validator.now = now
        let before = replayedBlocks
        cursor.rewind(to: binding?.chainBytes ?? 0)
        try replay(threads: threads, stamp: binding?.stamp, progress: nil)
        return replayedBlocks - before
    }

    // MARK: - Pins

    /// The trust anchors the blocks already held must meet (genesis hash,
    /// genesis signer, checkpoints at or below the tip), judged from the
    /// state and the genesis line, which is read again (one line): a
    /// snapshot cannot stand in for the pinned genesis.
    public func pinProblems(_ pins: ChainPins) throws(ToolError) -> [ChainProblem] {
        let first = try ChainCursor(path: path)
        guard let (_, line) = try first.next() else { throw ChainReader.empty(path) }
        let genesis: Block
        do { genesis = try BlockLine.parse(line) } catch {
            throw ToolError(.dataErr, "\(path):1: \(error) (run ehx-verify for the full report)")
        }
        var problems: [ChainProblem] = []
        let hash = genesis.header.hash
        guard genesis.height == 0, hash == genesis.claimedHash, hash == state.genesisHash, hash == blockHashes.first else {
            return [ChainProblem(.pin, "the genesis line \(genesis.claimedHash.displayHex) is not the genesis \((state.genesisHash ?? .zero).displayHex) of the state (\(snapshotPath)); remove it to rebuild")]
        }
        if let pinned = pins.genesis, pinned != hash {
            problems.append(ChainProblem(.pin, "genesis hash \(hash.displayHex) is not the pinned \(pinned.displayHex)"))
        }
        if let authority = pins.authority {
            if let tx = genesis.txs.first, tx.type == .genesis, tx.signer == authority {} else {
                let signer = genesis.txs.first.map { String($0.signer.id.hex.prefix(16)) } ?? "nobody"
                problems.append(ChainProblem(.pin, "genesis is signed by \(signer), not the pinned authority \(authority.id.hex.prefix(16))"))
            }
        }
        for (height, pinned) in pins.checkpoints.sorted(by: { $0.key < $1.key }) where height >= 0 && height < Int64(blockHashes.count) {
            if blockHashes[Int(height)] != pinned {
                problems.append(ChainProblem(.pin, "block \(height) is \(blockHashes[Int(height)].displayHex), not the checkpoint \(pinned.displayHex)"))
            }
        }
        return problems
    }

    // MARK: - Extending the chain

    /// Mines the candidate on the tip and appends it (`ChainValidator.mineAndAppend`),
    /// keeping the binding in step with the file. The candidate keeps its
    /// transactions but lets go of its copy of the state (take a new one
    /// from `validator.candidate()`): while a copy shares the state's key
    /// table, the block's keys wait beside it (`ChainKeys`), and a stream
    /// mined block after block would hold every key it mined that way.
    public mutating func mineAndAppend(_ candidate: inout BlockCandidate, to file: ChainFile, key: Ed25519.PrivateKey,
                                       threads: Int, shouldStop: () -> Bool = { false }) throws -> Block {
        candidate.releaseState()
        let block = try validator.mineAndAppend(candidate, to: file, key: key, threads: threads, shouldStop: shouldStop)
        validator.state.keys.absorbPending()
        record(block)
        extendBinding(lines: [block.canonicalLine], file: file)
        return block
    }

    /// After the caller appended `blocks` (with `lines`, each a block line
    /// with its newline, in order) to `file` in one `ChainFile.append`,
    /// checked by `validator`, which now stands on the last of them; `requiredBits`
    /// are the bits the rules required of each.
    public mutating func appended(_ blocks: [Block], lines: [[UInt8]], requiredBits: [UInt32], to file: ChainFile,
                                  validator: ChainValidator) {
        guard !blocks.isEmpty, blocks.count == lines.count, blocks.count == requiredBits.count else { return }
        for (block, required) in zip(blocks, requiredBits) {
            blockHashes.append(block.claimedHash)
            blockBits.append(block.header.bits)
            blockTimes.append(block.header.time)
            blockRequiredBits.append(required)
        }
        self.validator = validator
        extendBinding(lines: lines, file: file)
    }

    /// The binding after our own append of `lines` (each with its newline).
    /// The new stamp is taken on only when the file was as we knew it just
    /// before the write; otherwise someone else wrote to it meanwhile and
    /// the next run hashes the covered lines again.
    private mutating func extendBinding(lines: [[UInt8]], file: ChainFile) {
        guard let last = lines.last else { return }
        var digest = binding?.linesDigest ?? .zero
        var lastHash = SHA256Digest.zero
        for line in lines {
            lastHash = SHA256.hash(line)
            digest = ChainSnapshot.Binding.digest(digest, then: lastHash)
        }
        let start = binding?.chainBytes ?? 0
        let added = lines.reduce(0) { $0 + Int64($1.count) }
        let known = binding?.stamp
        let stamp = file.lastAppend.flatMap { $0.before != nil && $0.before == known ? $0.after : nil }
        binding = ChainSnapshot.Binding(chainBytes: start + added, lastLineBytes: Int64(last.count), lastLineHash: lastHash,
                                        stamp: stamp, linesDigest: digest)
        cursor.rewind(to: start + added)
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
    ///
    /// Saves take the run directory's lock, so one at a time writes runs,
    /// the snapshot and then removes the runs it no longer names. A state
    /// standing on a run another save has since merged away is not saved:
    /// that save's snapshot is as good a start, and this one's would be
    /// refused.
    public mutating func save() throws(ToolError) {
        guard let binding, binding != savedBinding else { return }
        let (directory, name) = try SafeDirectory.containing(snapshotPath)
        let runs = try directory.subdirectory(name + ".keys", create: true, mode: 0o700)
        let lock = try runs.openLockFile("lock")
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ToolError(.ioErr, "\(runs.display("lock")): cannot lock: \(FileWriting.errorText(errno))") }
        }
        guard state.keys.runsPresent(in: runs) else { return }
        try validator.state.keys.settle(in: runs, threshold: keyRunThreshold)
        let snapshot = ChainSnapshot(state: state, binding: binding, blockHashes: blockHashes, blockBits: blockBits,
                                     blockTimes: blockTimes, blockRequiredBits: blockRequiredBits)
        // Streamed a MiB at a time: the snapshot of a long chain is never
        // whole in memory.
        var encodingError: ChainSnapshotError?
        do {
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
        // Under the lock nobody else is writing a run: whatever the new
        // snapshot does not name (merged runs, a killed save's leftovers) goes.
        let named = Set(state.keys.runs.map(\.name))
        for file in (try? runs.names()) ?? [] where file != "lock" && !named.contains(file) {
            try? runs.remove(file)
        }
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
    case missingRun(String)
    case read(ChainSnapshot)
}

/// Why a snapshot file with this status is not the operator's own state,
/// which alone is trusted (the chain's recipients and roles come from it):
/// one another account wrote, or could have, is not. Nil when it is.
private func notOwn(_ info: stat) -> String? {
    guard info.st_mode & S_IFMT == S_IFREG else { return "unreadable (not a regular file)" }
    guard info.st_uid == geteuid() else { return "owned by uid \(info.st_uid), not this user" }
    guard info.st_mode & 0o022 == 0 else { return "writable by group or others" }
    return nil
}

/// The snapshot at `path`, read a MiB at a time (`ChainSnapshot.read`),
/// with its key runs from `path.keys`.
private func readSnapshotFile(_ path: String) -> SnapshotFile {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        if errno == ENOENT { return .missing }
        return .refused("unreadable (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .refused("unreadable (fstat failed)") }
    if let why = notOwn(info) { return .refused(why) }
    // Held to the same rule as the snapshot; absent when it names no run.
    var runs: SafeDirectory?
    if access(path + ".keys", F_OK) == 0 {
        do { runs = try SafeDirectory(path: path + ".keys") } catch { return .refused("its key runs: \(error)") }
        var dirInfo = stat()
        guard let runs, fstat(runs.fd, &dirInfo) == 0, dirInfo.st_uid == geteuid(), dirInfo.st_mode & 0o022 == 0 else {
            return .refused("its key runs' directory is not this user's alone")
        }
    }
    do { return .read(try ChainSnapshot.read(fd: fd, size: Int(info.st_size), runDirectory: runs)) } catch {
        if case .missingRun = error { return .missingRun("\(error)") }
        return .refused("unreadable: \(error)")
    }
}
