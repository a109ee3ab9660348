#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exact set of 32-byte keys (txids, reading keys, alert keys) in about
/// 10 to 12.5 bytes of memory a key, where a `Set<TxidKey>` takes about 70.
///
/// Each key is one 64-bit slot of an open-addressing table: 27 bits of its
/// hash (which also place it), 2 bits of kind and the 35-bit index of its
/// full bytes in a `KeySpill`. A lookup compares the 27 bits; only a slot
/// that matches them has its full key read back and compared, so a match
/// is exact and a false one costs one read (about one lookup in 4,000 at
/// 10^7 keys).
///
/// The table is 256 segments, picked by the hash's top byte, each grown
/// alone by a quarter when 80% full: growing never holds two copies of the
/// whole table, and the load stays between 64% and 80%. A segment's slots
/// come from mmap, so a freed one goes back to the system rather than
/// scattering malloc's heap.
final class KeyTable: @unchecked Sendable {
    /// What a slot's key is.
    enum Kind: UInt64, Sendable, CaseIterable {
        /// A txid, or an alert key (another hash domain: the two can only be
        /// confused through a SHA-256 collision).
        case plain = 1
        /// A reading's key, followed in the spill by its txid; not valid.
        case reading = 2
        /// As `reading`, for a valid one (what an alert may name).
        case validReading = 3

        /// Whether the spill holds the txid after the key.
        var hasTxid: Bool { self != .plain }
    }

    static let segmentBits = 8
    static let storedBits = 27
    static let kindBits = 2
    static let indexBits = 35
    /// One 4 KiB page of slots: the smallest segment.
    static let pageSlots = 512
    /// Capacities are multiples of this (mmap rounds to whole pages; the
    /// last page's untouched rest costs nothing).
    static let capacityStep = 64

    private struct Segment {
        var slots: UnsafeMutablePointer<UInt64>?
        var capacity = 0
        var count = 0
        /// From mmap (else from malloc, when mmap failed).
        var mapped = false
    }

    /// The 64-bit hash of a key: its first 8 bytes by default (keys are
    /// SHA-256 outputs); tests inject one that makes keys collide.
    typealias Hashing = @Sendable (TxidKey) -> UInt64
    static let defaultHashing: Hashing = { $0.a }

    let hashing: Hashing
    let spill: KeySpill
    private var segments: [Segment]
    private(set) var count = 0

    init(hashing: @escaping Hashing = KeyTable.defaultHashing, spill: KeySpill = KeySpill()) {
        self.hashing = hashing
        self.spill = spill
        segments = Array(repeating: Segment(), count: 1 << Self.segmentBits)
    }

    deinit {
        for segment in segments { Self.release(segment) }
    }

    /// Bytes of slots held (the memory the table costs beyond its spill).
    var slotBytes: Int { segments.reduce(0) { $0 + $1.capacity * 8 } }

    /// Adds an entry: `key`, and for readings `txid` after it in the spill.
    func insert(_ kind: Kind, key: TxidKey, txid: TxidKey? = nil) {
        let index = spill.append(key)
        if kind.hasTxid { spill.append(txid ?? .zero) }
        // 2^35 spill entries (1 TiB of keys) is far past any chain this
        // tool is built for; the bound is stated in ehx(7).
        precondition(index < 1 << Self.indexBits, "ehx: more than 2^35 keys in one chain state")
        let (s, stored) = place(key)
        if segments[s].count + 1 > segments[s].capacity * 4 / 5 { grow(s) }
        put(UInt64(stored) << UInt64(Self.kindBits + Self.indexBits) | kind.rawValue << UInt64(Self.indexBits) | UInt64(index), in: s)
        segments[s].count += 1
        count += 1
    }

    /// Whether an entry of one of `kinds` holds `key` (and, when given, `txid`).
    func contains(_ kinds: [Kind], key: TxidKey, txid: TxidKey? = nil) -> Bool {
        let mask = kinds.reduce(0) { $0 | 1 << $1.rawValue }
        let (s, stored) = place(key)
        let segment = segments[s]
        guard let slots = segment.slots else { return false }
        var i = Self.position(stored, capacity: segment.capacity)
        while true {
            let slot = slots[i]
            if slot == 0 { return false }
            if Int(slot >> UInt64(Self.kindBits + Self.indexBits)) == stored, mask & 1 << ((slot >> UInt64(Self.indexBits)) & 3) != 0,
               let kind = Self.kind(of: slot) {
                let index = Int(slot & (1 << UInt64(Self.indexBits) - 1))
                if spill.key(at: index) == key && (txid == nil || !kind.hasTxid || spill.key(at: index + 1) == txid) { return true }
            }
            i += 1
            if i == segment.capacity { i = 0 }
        }
    }

    /// Every entry, in no particular order (snapshots, tests).
    func forEach(_ body: (Kind, TxidKey, TxidKey?) -> Void) {
        for segment in segments { forEach(in: segment) { body($0.kind, $0.key, $0.kind.hasTxid ? $0.txid : nil) } }
    }

    /// A segment's entries, read back from the spill (the txid zeros for a
    /// plain key).
    private func forEach(in segment: Segment, _ body: (KeyRun.Entry) -> Void) {
        guard let slots = segment.slots else { return }
        for i in 0..<segment.capacity where slots[i] != 0 {
            guard let kind = Self.kind(of: slots[i]) else { continue }
            let index = Int(slots[i] & (1 << UInt64(Self.indexBits) - 1))
            body(KeyRun.Entry(kind: kind, key: spill.key(at: index), txid: kind.hasTxid ? spill.key(at: index + 1) : .zero))
        }
    }

    /// Every entry in a key run's order (`KeyRun.Entry.precedes`), with
    /// `extra` (already in that order) among them: one segment at a time,
    /// sorted alone, as a segment is the hash's top byte.
    func forEachInRunOrder(merging extra: [KeyRun.Entry], _ body: (KeyRun.Entry) -> Void) {
        var next = 0
        var gathered: [(UInt64, KeyRun.Entry)] = []
        for s in segments.indices {
            gathered.removeAll(keepingCapacity: true)
            forEach(in: segments[s]) { gathered.append((hashing($0.key), $0)) }
            while next < extra.count, Int(hashing(extra[next].key) >> UInt64(64 - Self.segmentBits)) == s {
                gathered.append((hashing(extra[next].key), extra[next]))
                next += 1
            }
            gathered.sort { KeyRun.Entry.precedes($0.1, $0.0, $1.1, $1.0) }
            for (_, entry) in gathered { body(entry) }
        }
    }

    // MARK: - Snapshot form

    /// u64le key count, the keys in spill order (32 bytes each), then for
    /// each segment its u64le capacity and its slots (u64le each): the
    /// table as it stands, so loading it hashes nothing.
    func encode(to out: SnapshotWriter) {
        out.word(UInt64(spill.count))
        spill.forEachRun { out.write($0) }
        for segment in segments {
            out.word(UInt64(segment.capacity))
            guard let slots = segment.slots else { continue }
            out.write(UnsafeRawBufferPointer(start: slots, count: segment.capacity * 8))
        }
    }

    /// The bytes `encode` writes.
    var encodedCount: Int { 8 + spill.count * 32 + segments.count * 8 + slotBytes }

    /// The table `encode` wrote, its keys appended to `spill`.
    static func decode(from raw: SnapshotReader, hashing: @escaping Hashing = KeyTable.defaultHashing,
                       spill: KeySpill = KeySpill()) throws(ChainSnapshotError) -> KeyTable {
        let keys = try raw.word()
        guard keys <= UInt64(raw.limit - raw.offset) / 32 else { throw .format("the key table's keys run past its end") }
        let table = KeyTable(hashing: hashing, spill: spill)
        var left = Int(keys)
        while left > 0 {
            let n = min(left, KeySpill.runLength)
            let run = try raw.take(n * 32)
            for k in 0..<n { spill.append(run.loadUnaligned(fromByteOffset: k * 32, as: TxidKey.self)) }
            left -= n
        }
        for s in 0..<table.segments.count {
            let capacity = try raw.word()
            guard capacity % UInt64(capacityStep) == 0, capacity <= UInt64(raw.limit - raw.offset) / 8 else { throw .format("key table segment \(s): bad capacity") }
            guard capacity > 0 else { continue }
            let (slots, mapped) = allocate(Int(capacity))
            table.segments[s] = Segment(slots: slots, capacity: Int(capacity), count: 0, mapped: mapped)
            var i = 0
            while i < Int(capacity) {
                let n = min(Int(capacity) - i, 1 << 17)
                let run = try raw.take(n * 8)
                for j in 0..<n {
                    let slot = UInt64(littleEndian: run.loadUnaligned(fromByteOffset: j * 8, as: UInt64.self))
                    guard slot != 0 else { continue }
                    guard let kind = Self.kind(of: slot), Int(slot & (1 << UInt64(indexBits) - 1)) + (kind.hasTxid ? 1 : 0) < Int(keys) else {
                        throw .format("key table segment \(s): a slot names no key")
                    }
                    slots[i + j] = slot
                    table.segments[s].count += 1
                }
                i += n
            }
            // A full segment would never end a lookup.
            guard table.segments[s].count < Int(capacity) else { throw .format("key table segment \(s) is full") }
            table.count += table.segments[s].count
        }
        return table
    }

    private static func kind(of slot: UInt64) -> Kind? {
        Kind(rawValue: (slot >> UInt64(indexBits)) & (1 << UInt64(kindBits) - 1))
    }

    /// The segment and the stored hash bits of a key.
    private func place(_ key: TxidKey) -> (segment: Int, stored: Int) {
        let h = hashing(key)
        return (Int(h >> UInt64(64 - Self.segmentBits)), Int((h << UInt64(Self.segmentBits)) >> UInt64(64 - Self.storedBits)))
    }

    /// A slot's home from its stored bits alone, so a segment grows without
    /// reading a key back.
    private static func position(_ stored: Int, capacity: Int) -> Int {
        Int((UInt64(stored) &* UInt64(capacity)) >> UInt64(storedBits))
    }

    private func put(_ slot: UInt64, in s: Int) {
        let capacity = segments[s].capacity
        guard let slots = segments[s].slots else { return }
        var i = Self.position(Int(slot >> UInt64(Self.kindBits + Self.indexBits)), capacity: capacity)
        while slots[i] != 0 {
            i += 1
            if i == capacity { i = 0 }
        }
        slots[i] = slot
    }

    private func grow(_ s: Int) {
        let old = segments[s]
        let wanted = max(Self.pageSlots, old.capacity + old.capacity / 4)
        let capacity = (wanted + Self.capacityStep - 1) / Self.capacityStep * Self.capacityStep
        (segments[s].slots, segments[s].mapped) = Self.allocate(capacity)
        segments[s].capacity = capacity
        if let slots = old.slots {
            for i in 0..<old.capacity where slots[i] != 0 { put(slots[i], in: s) }
        }
        Self.release(old)
    }

    /// Zeroed slots straight from the kernel (malloc's heap as a fallback).
    private static func allocate(_ capacity: Int) -> (UnsafeMutablePointer<UInt64>, mapped: Bool) {
        if let raw = mmap(nil, capacity * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           raw != UnsafeMutableRawPointer(bitPattern: -1) {
            return (raw.bindMemory(to: UInt64.self, capacity: capacity), true)
        }
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        return (slots, false)
    }

    private static func release(_ segment: Segment) {
        guard let slots = segment.slots else { return }
        if segment.mapped { munmap(UnsafeMutableRawPointer(slots), segment.capacity * 8) } else { slots.deallocate() }
    }
}
