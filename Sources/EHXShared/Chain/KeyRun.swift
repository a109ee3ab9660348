#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keys of a chain state (`ChainKeys`) moved out of memory into a sorted,
/// never-rewritten file beside the snapshot, so a run that starts from the
/// snapshot of 10^7 transactions opens a few files instead of loading
/// 10^7 keys, and a save writes what is new instead of all of them.
///
/// Layout: 16 bytes of magic, the u64le entry count, the entries (72 bytes
/// each: u64le kind, the key, the txid or zeros) sorted by
/// (hash of the key, key, kind, txid), then the hash of every 64th entry
/// (u64le), then SHA-256 of everything before it. The snapshot names each
/// run with that checksum: a run left by another snapshot, or cut short, is
/// refused at open, and the state is rebuilt.
///
/// A lookup finds its 64-entry stretch in the in-memory fence (1/576 of the
/// file) and reads that stretch (4.5 KiB) with one pread: the pages are the
/// kernel's cache, not the process's memory.
final class KeyRun: @unchecked Sendable {
    struct Entry: Sendable {
        var kind: KeyTable.Kind
        var key: TxidKey
        var txid: TxidKey

        /// The order of entries in a run, given the keys' hashes.
        static func precedes(_ x: Entry, _ xHash: UInt64, _ y: Entry, _ yHash: UInt64) -> Bool {
            if xHash != yHash { return xHash < yHash }
            for (p, q) in [(x.key.a, y.key.a), (x.key.b, y.key.b), (x.key.c, y.key.c), (x.key.d, y.key.d),
                           (x.kind.rawValue, y.kind.rawValue), (x.txid.a, y.txid.a), (x.txid.b, y.txid.b),
                           (x.txid.c, y.txid.c), (x.txid.d, y.txid.d)] where p != q {
                return p < q
            }
            return false
        }
    }

    static let magic = Array("ehx-keyrun 1\n\0\0\0".utf8)
    static let entryBytes = 72
    static let headerBytes = 24
    /// Entries per fence post.
    static let stride = 64

    let name: String
    let count: Int
    /// SHA-256 of the file's contents before it (its last 32 bytes).
    let checksum: SHA256Digest
    let hashing: KeyTable.Hashing
    private let fd: Int32
    private let fence: [UInt64]

    deinit { close(fd) }

    /// The run `name` in `directory`, which a snapshot recorded with this
    /// count and checksum.
    init(in directory: SafeDirectory, name: String, count: Int, checksum: SHA256Digest,
         hashing: @escaping KeyTable.Hashing = KeyTable.defaultHashing) throws(ChainSnapshotError) {
        let opened: Int32?
        do { opened = try directory.openRegularForReading(name) } catch { throw .format("key run \(name): \(error)") }
        guard let fd = opened else { throw .missingRun(name) }
        self.fd = fd
        self.name = name
        self.count = count
        self.checksum = checksum
        self.hashing = hashing
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .format("key run \(name): cannot stat") }
        // The operator's own state, as the snapshot is (`readSnapshotFile`).
        guard info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else { throw .format("key run \(name): not this user's alone") }
        let posts = (count + Self.stride - 1) / Self.stride
        guard count >= 0, Int64(info.st_size) == Int64(Self.headerBytes + count * Self.entryBytes + posts * 8 + 32) else {
            throw .format("key run \(name): \(info.st_size) bytes, not those of \(count) entries")
        }
        let header = FileReading.bytes(fd, count: Self.headerBytes, at: 0).bytes
        guard let header, Array(header.prefix(16)) == Self.magic,
              header.withUnsafeBytes({ UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) }) == UInt64(count) else {
            throw .format("key run \(name): not a key run of \(count) entries")
        }
        let fenceStart = Self.headerBytes + count * Self.entryBytes
        guard let trailer = FileReading.bytes(fd, count: 32, at: off_t(fenceStart + posts * 8)).bytes, trailer == checksum.bytes else {
            throw .format("key run \(name): not the run the snapshot names (checksum)")
        }
        guard let raw = FileReading.bytes(fd, count: posts * 8, at: off_t(fenceStart)).bytes else { throw .format("key run \(name): unreadable") }
        var fence = [UInt64](repeating: 0, count: posts)
        for i in 0..<posts {
            fence[i] = raw.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
            guard i == 0 || fence[i - 1] <= fence[i] else { throw .format("key run \(name): out of order") }
        }
        self.fence = fence
    }

    /// Whether an entry of a kind in `mask` (bit 1 << kind) holds `key`,
    /// whose hash is `hash`, and (when given, for kinds that carry one) `txid`.
    func contains(mask: UInt64, key: TxidKey, hash: UInt64, txid: TxidKey?) -> Bool {
        var lo = 0, hi = fence.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if fence[mid] < hash { lo = mid + 1 } else { hi = mid }
        }
        // Entries of this hash may begin inside the stretch before the first
        // post at or above it.
        var post = max(lo - 1, 0)
        return withUnsafeTemporaryAllocation(byteCount: Self.stride * Self.entryBytes, alignment: 8) { buffer in
            while post < fence.count {
                let first = post * Self.stride
                let n = min(Self.stride, count - first)
                readEntries(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<(n * Self.entryBytes)]), from: first)
                for i in 0..<n {
                    let entry = Self.entry(in: UnsafeRawBufferPointer(buffer), at: i)
                    let h = hashing(entry.key)
                    if h < hash { continue }
                    if h > hash { return false }
                    if entry.key == key, mask & 1 << entry.kind.rawValue != 0,
                       txid == nil || !entry.kind.hasTxid || entry.txid == txid { return true }
                }
                post += 1
            }
            return false
        }
    }

    /// Every entry in order, read a MiB at a time (reflection).
    func forEach(_ body: (Entry) -> Void) {
        let entries = EntryStream(self)
        while let entry = entries.current {
            body(entry)
            entries.advance()
        }
    }

    /// Whether `directory` still holds this run under its name (a save that
    /// names a run another process's save has merged away would be refused).
    func isPresent(in directory: SafeDirectory) -> Bool {
        var mine = stat()
        guard fstat(fd, &mine) == 0, let there = directory.status(name) else { return false }
        return there.st_ino == mine.st_ino && there.st_dev == mine.st_dev
    }

    // MARK: - Writing

    /// Writes a run of `count` entries that `produce` hands to its sink in
    /// run order, as a fresh file in `directory`, and opens it.
    static func write(in directory: SafeDirectory, count: Int, hashing: @escaping KeyTable.Hashing = KeyTable.defaultHashing,
                      produce: ((Entry) -> Void) -> Void) throws(ToolError) -> KeyRun {
        let name: String
        do { name = "keys-" + Hex.encode(try SecureRandom.bytes(count: 12)) } catch {
            throw ToolError(.cantCreate, "\(directory.path): \(error)")
        }
        var fence: [UInt64] = []
        fence.reserveCapacity((count + stride - 1) / stride)
        var written = 0
        var checksum = SHA256Digest.zero
        try directory.replace(name, mode: 0o600) { fd in
            let out = SnapshotWriter(fd: fd)
            out.write(magic)
            out.word(UInt64(count))
            var slot = [UInt8](repeating: 0, count: entryBytes)
            produce { entry in
                guard written < count else { written += 1; return }
                if written % stride == 0 { fence.append(hashing(entry.key)) }
                slot.withUnsafeMutableBytes { raw in
                    raw.storeBytes(of: entry.kind.rawValue.littleEndian, toByteOffset: 0, as: UInt64.self)
                    raw.storeBytes(of: entry.key, toByteOffset: 8, as: TxidKey.self)
                    raw.storeBytes(of: entry.txid, toByteOffset: 40, as: TxidKey.self)
                }
                out.write(slot)
                written += 1
            }
            // A count that is not the one promised would leave a file that
            // does not open; fail the write instead of renaming it into place.
            guard written == count else { return EINVAL }
            for post in fence { out.word(post) }
            let failure = out.finish()
            checksum = out.digest
            return failure
        }
        do { return try KeyRun(in: directory, name: name, count: count, checksum: checksum, hashing: hashing) } catch {
            throw ToolError(.ioErr, "\(directory.display(name)): the run just written does not open: \(error)")
        }
    }

    /// One run holding the entries of `older` and `newer`.
    static func merge(_ older: KeyRun, _ newer: KeyRun, in directory: SafeDirectory) throws(ToolError) -> KeyRun {
        try write(in: directory, count: older.count + newer.count, hashing: older.hashing) { sink in
            // Two readers a MiB at a time, interleaved by run order.
            let left = EntryStream(older), right = EntryStream(newer)
            while let x = left.current {
                guard let y = right.current else { break }
                if Entry.precedes(y, right.hash, x, left.hash) { sink(y); right.advance() } else { sink(x); left.advance() }
            }
            while let x = left.current { sink(x); left.advance() }
            while let y = right.current { sink(y); right.advance() }
        }
    }

    // MARK: - Reading

    private func readEntries(into buffer: UnsafeMutableRawBufferPointer, from index: Int) {
        let (got, error) = FileReading.read(fd, into: buffer, at: off_t(Self.headerBytes + index * Self.entryBytes))
        // Checked whole at open, this user's own file: a read that fails now
        // is the machine failing (as running out of memory is), as for the
        // key spill.
        precondition(error == 0 && got == buffer.count, "ehx: cannot read the key run \(name): \(String(cString: strerror(error)))")
    }

    private static func entry(in buffer: UnsafeRawBufferPointer, at i: Int) -> Entry {
        let base = i * entryBytes
        let raw = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: base, as: UInt64.self))
        return Entry(kind: KeyTable.Kind(rawValue: raw) ?? .plain,
                     key: buffer.loadUnaligned(fromByteOffset: base + 8, as: TxidKey.self),
                     txid: buffer.loadUnaligned(fromByteOffset: base + 40, as: TxidKey.self))
    }

    /// A run read in order, one entry in hand.
    private final class EntryStream {
        private let run: KeyRun
        private var buffer: [Entry] = []
        private var index = 0
        private var next = 0
        private(set) var current: Entry?
        private(set) var hash: UInt64 = 0

        init(_ run: KeyRun) {
            self.run = run
            advance()
        }

        func advance() {
            if index == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                index = 0
                let n = min((1 << 20) / KeyRun.entryBytes, run.count - next)
                if n > 0 {
                    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: n * KeyRun.entryBytes, alignment: 8)
                    defer { raw.deallocate() }
                    run.readEntries(into: raw, from: next)
                    for i in 0..<n { buffer.append(KeyRun.entry(in: UnsafeRawBufferPointer(raw), at: i)) }
                    next += n
                }
            }
            guard index < buffer.count else { current = nil; return }
            current = buffer[index]
            hash = run.hashing(buffer[index].key)
            index += 1
        }
    }
}
