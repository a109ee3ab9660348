/// Everything `ChainState` looks a transaction up by, exactly: each txid,
/// and on a rules-2 chain each reading's key and each alert key (man ehx.7,
/// VERIFICATION). One `KeyTable`, so memory is about 10 to 12.5 bytes a
/// transaction whatever the chain's length.
///
/// A rules-2 reading is entered once, under its reading key with its txid
/// beside it, not once under each: an alert finds it by the key, and a
/// second copy of it (same txid, so same body, so same key) finds it by the
/// key and then the txid.
///
/// The table is shared, not copied, between copies of a state (ehx-mine's
/// block candidate is one): a copy that adds keys while another copy holds
/// the table keeps them in `pending`, a small exact set of its own, and
/// moves them into the table once it is the table's only holder. So a copy
/// behaves as a value, as `Set` did, without copying 10^7 keys.
///
/// A state saved beside its chain (`LocalChain`) keeps most of its keys in
/// `runs`, sorted files that are never rewritten (`KeyRun`); the table then
/// holds only what came since the last run was written. `settle` moves the
/// table into a new run once it holds `runThreshold` entries and merges
/// runs as a binary counter does (while the newest is at least half the one
/// before it), so there are at most about log2(n / runThreshold) + 1 runs
/// and each key is rewritten about that many times over the chain's life.
struct ChainKeys: Sendable, CustomReflectable {
    private var table: KeyTable
    private var pending: [TxidKey: [Pending]] = [:]
    private(set) var runs: [KeyRun] = []

    /// Entries the table gathers before they go to a run (~5 MB inline in
    /// the snapshot, read by every run of a tool).
    static let runThreshold = 1 << 16

    private struct Pending: Hashable, Sendable {
        let kind: KeyTable.Kind
        let txid: TxidKey?
    }

    init(table: KeyTable = KeyTable()) {
        self.table = table
    }

    var count: Int { table.count + pendingCount + runs.reduce(0) { $0 + $1.count } }

    /// The table itself (tests, the memory report).
    var storage: KeyTable { table }

    mutating func insert(_ kind: KeyTable.Kind, key: TxidKey, txid: TxidKey? = nil) {
        if isKnownUniquelyReferenced(&table) {
            absorbPending()
            table.insert(kind, key: key, txid: txid)
        } else {
            pending[key, default: []].append(Pending(kind: kind, txid: kind.hasTxid ? txid : nil))
        }
    }

    /// Moves the pending entries into the table once this copy is its only
    /// holder (a no-op otherwise).
    mutating func absorbPending() {
        guard !pending.isEmpty, isKnownUniquelyReferenced(&table) else { return }
        for (pendingKey, entries) in pending {
            for entry in entries { table.insert(entry.kind, key: pendingKey, txid: entry.txid) }
        }
        pending.removeAll()
    }

    /// Entries waiting beside a shared table (tests).
    var pendingCount: Int { pending.values.reduce(0) { $0 + $1.count } }

    /// Whether an entry of one of `kinds` holds `key` (and, when given, `txid`).
    func contains(_ kinds: [KeyTable.Kind], key: TxidKey, txid: TxidKey? = nil) -> Bool {
        if let entries = pending[key], entries.contains(where: { kinds.contains($0.kind) && (txid == nil || $0.txid == nil || $0.txid == txid) }) {
            return true
        }
        if table.contains(kinds, key: key, txid: txid) { return true }
        guard !runs.isEmpty else { return false }
        let mask = kinds.reduce(UInt64(0)) { $0 | 1 << $1.rawValue }
        let hash = table.hashing(key)
        return runs.contains { $0.contains(mask: mask, key: key, hash: hash, txid: txid) }
    }

    /// Whether every run is still in `directory` under its name.
    func runsPresent(in directory: SafeDirectory) -> Bool {
        runs.allSatisfy { $0.isPresent(in: directory) }
    }

    /// Moves the table's entries into a new run in `directory` once there
    /// are `threshold` of them, and merges runs (see the type's comment).
    /// The runs this leaves unnamed are the caller's to remove, once a
    /// snapshot without them is in place.
    mutating func settle(in directory: SafeDirectory, threshold: Int = ChainKeys.runThreshold) throws(ToolError) {
        let fresh = table.count + pendingCount
        guard fresh >= max(1, threshold) else { return }
        let hashing = table.hashing
        let extra = pending.flatMap { key, list in list.map { KeyRun.Entry(kind: $0.kind, key: key, txid: $0.txid ?? .zero) } }
            .sorted { KeyRun.Entry.precedes($0, hashing($0.key), $1, hashing($1.key)) }
        let table = self.table
        let run = try KeyRun.write(in: directory, count: fresh, hashing: hashing) { sink in
            table.forEachInRunOrder(merging: extra, sink)
        }
        self.table = KeyTable(hashing: hashing)
        pending.removeAll()
        runs.append(run)
        while runs.count >= 2, runs[runs.count - 1].count * 2 >= runs[runs.count - 2].count {
            let merged = try KeyRun.merge(runs[runs.count - 2], runs[runs.count - 1], in: directory)
            runs.removeLast(2)
            runs.append(merged)
        }
    }

    /// Every entry as text, in order: what a reflection compares.
    var customMirror: Mirror {
        var all: [String] = []
        func text(_ kind: KeyTable.Kind, _ key: TxidKey, _ txid: TxidKey?) -> String {
            "\(kind):\(key.hex)" + (txid.map { ":\($0.hex)" } ?? "")
        }
        table.forEach { all.append(text($0, $1, $2)) }
        for run in runs { run.forEach { all.append(text($0.kind, $0.key, $0.kind.hasTxid ? $0.txid : nil)) } }
        for (key, entries) in pending { for entry in entries { all.append(text(entry.kind, key, entry.txid)) } }
        return Mirror(self, unlabeledChildren: all.sorted(), displayStyle: .set)
    }

    // MARK: - Snapshot form

    /// u64le count of pending entries, each as a u64le kind, its key and its
    /// txid (zeros when none); u64le count of runs, each as its name's
    /// length (u64le), its name, its entry count (u64le) and its checksum;
    /// then the table (`KeyTable.encode`).
    func encode(to out: SnapshotWriter) {
        let entries = pending.flatMap { key, list in list.map { (key, $0) } }
        out.word(UInt64(entries.count))
        for (key, entry) in entries {
            out.word(entry.kind.rawValue)
            withUnsafeBytes(of: key) { out.write($0) }
            withUnsafeBytes(of: entry.txid ?? .zero) { out.write($0) }
        }
        out.word(UInt64(runs.count))
        for run in runs {
            out.word(UInt64(run.name.utf8.count))
            out.write(Array(run.name.utf8))
            out.word(UInt64(run.count))
            out.write(run.checksum.bytes)
        }
        table.encode(to: out)
    }

    /// The bytes `encode` writes.
    var encodedCount: Int {
        8 + pendingCount * 72 + 8 + runs.reduce(0) { $0 + 48 + $1.name.utf8.count } + table.encodedCount
    }

    /// The keys `encode` wrote; their runs are opened in `runDirectory`
    /// (nil: a snapshot that names a run is refused).
    static func decode(from raw: SnapshotReader, runDirectory: SafeDirectory? = nil,
                       hashing: @escaping KeyTable.Hashing = KeyTable.defaultHashing,
                       spill: KeySpill = KeySpill()) throws(ChainSnapshotError) -> ChainKeys {
        let n = try raw.word()
        guard n <= UInt64(raw.limit - raw.offset) / 72 else { throw .format("the key section's pending entries run past its end") }
        var entries: [(KeyTable.Kind, TxidKey, TxidKey)] = []
        for _ in 0..<Int(n) {
            let entry = try raw.take(72)
            guard let kind = KeyTable.Kind(rawValue: UInt64(littleEndian: entry.loadUnaligned(as: UInt64.self))) else {
                throw .format("the key section: a pending entry of no known kind")
            }
            entries.append((kind, entry.loadUnaligned(fromByteOffset: 8, as: TxidKey.self), entry.loadUnaligned(fromByteOffset: 40, as: TxidKey.self)))
        }
        let runCount = try raw.word()
        guard runCount <= UInt64(raw.limit - raw.offset) / 48 else { throw .format("the key section's runs run past its end") }
        var runs: [KeyRun] = []
        for _ in 0..<Int(runCount) {
            let length = try raw.word()
            guard length > 0, length <= 64 else { throw .format("the key section: a run name of \(length) bytes") }
            let nameBytes = try raw.bytes(Int(length))
            // A name is ours ("keys-" and hex): never a path.
            guard nameBytes.allSatisfy({ $0 == 0x2d || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7a) }) else {
                throw .format("the key section: a run name that is not one")
            }
            let count = try raw.word()
            let checksum = SHA256Digest(unchecked: try raw.bytes(32))
            guard let runDirectory else { throw .format("the key section names runs, and there is no run directory") }
            guard count <= UInt64(Int.max / KeyRun.entryBytes) else { throw .format("the key section: a run of \(count) entries") }
            runs.append(try KeyRun(in: runDirectory, name: String(decoding: nameBytes, as: UTF8.self), count: Int(count),
                                   checksum: checksum, hashing: hashing))
        }
        var keys = ChainKeys(table: try KeyTable.decode(from: raw, hashing: hashing, spill: spill))
        keys.runs = runs
        for (kind, key, txid) in entries { keys.insert(kind, key: key, txid: txid) }
        return keys
    }
}

extension TxidKey {
    /// The digest's bytes as hex, in their order.
    var hex: String {
        withUnsafeBytes(of: self) { Hex.encode(Array($0)) }
    }
}
