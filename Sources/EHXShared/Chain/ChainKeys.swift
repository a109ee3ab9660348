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
struct ChainKeys: Sendable, CustomReflectable {
    private var table: KeyTable
    private var pending: [TxidKey: [Pending]] = [:]

    private struct Pending: Hashable, Sendable {
        let kind: KeyTable.Kind
        let txid: TxidKey?
    }

    init(table: KeyTable = KeyTable()) {
        self.table = table
    }

    var count: Int { table.count + pending.values.reduce(0) { $0 + $1.count } }

    /// The table itself (tests, the memory report).
    var storage: KeyTable { table }

    mutating func insert(_ kind: KeyTable.Kind, key: TxidKey, txid: TxidKey? = nil) {
        if isKnownUniquelyReferenced(&table) {
            if !pending.isEmpty {
                for (pendingKey, entries) in pending {
                    for entry in entries { table.insert(entry.kind, key: pendingKey, txid: entry.txid) }
                }
                pending.removeAll()
            }
            table.insert(kind, key: key, txid: txid)
        } else {
            pending[key, default: []].append(Pending(kind: kind, txid: kind.hasTxid ? txid : nil))
        }
    }

    /// Whether an entry of one of `kinds` holds `key` (and, when given, `txid`).
    func contains(_ kinds: [KeyTable.Kind], key: TxidKey, txid: TxidKey? = nil) -> Bool {
        if let entries = pending[key], entries.contains(where: { kinds.contains($0.kind) && (txid == nil || $0.txid == nil || $0.txid == txid) }) {
            return true
        }
        return table.contains(kinds, key: key, txid: txid)
    }

    /// Every entry as text, in order: what a reflection compares.
    var customMirror: Mirror {
        var all: [String] = []
        func text(_ kind: KeyTable.Kind, _ key: TxidKey, _ txid: TxidKey?) -> String {
            "\(kind):\(key.hex)" + (txid.map { ":\($0.hex)" } ?? "")
        }
        table.forEach { all.append(text($0, $1, $2)) }
        for (key, entries) in pending { for entry in entries { all.append(text(entry.kind, key, entry.txid)) } }
        return Mirror(self, unlabeledChildren: all.sorted(), displayStyle: .set)
    }

    // MARK: - Snapshot form

    /// u64le count of pending entries, each as a u64le kind, its key and its
    /// txid (zeros when none), then the table (`KeyTable.encode`).
    func encode(to out: SnapshotWriter) {
        let entries = pending.flatMap { key, list in list.map { (key, $0) } }
        out.word(UInt64(entries.count))
        for (key, entry) in entries {
            out.word(entry.kind.rawValue)
            withUnsafeBytes(of: key) { out.write($0) }
            withUnsafeBytes(of: entry.txid ?? .zero) { out.write($0) }
        }
        table.encode(to: out)
    }

    /// The bytes `encode` writes.
    var encodedCount: Int { 8 + pending.values.reduce(0) { $0 + $1.count } * 72 + table.encodedCount }

    static func decode(from raw: SnapshotReader, hashing: @escaping KeyTable.Hashing = KeyTable.defaultHashing,
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
        var keys = ChainKeys(table: try KeyTable.decode(from: raw, hashing: hashing, spill: spill))
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
