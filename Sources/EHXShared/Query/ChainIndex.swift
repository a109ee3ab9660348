#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The index of a chain file (`ehx-query index`): transactions by id, type,
/// device, patient and time, blocks by height and hash, and the tip it
/// covers, in SQLite beside the chain or in PostgreSQL (`IndexLocation`).
/// The schema, the loading and the queries are written once here over
/// `IndexDatabase`. SQLite stores where each transaction's canonical bytes
/// sit in the chain file, and a query reads them from the chain; PostgreSQL
/// also stores the bytes (column `tx`), so its clients need no chain file.
/// Either holds only what the chain shows anyone: a sealed body stays as
/// sealed, its patient and device columns are the clear part's pseudonyms.
public final class ChainIndex {
    public static let schemaVersion = "1"
    /// Transactions per database transaction when loading.
    public static let defaultBatch = 20_000
    /// A batch is also committed once its transactions' bytes reach this.
    static let batchBytes = 32 << 20
    public let location: IndexLocation
    let db: any IndexDatabase

    /// The database as messages and output name it (never with a password).
    public var name: String { db.name }

    public static func defaultPath(chain: String) -> String { chain + ".index.sqlite" }

    struct Table {
        let name: String
        let columns: [(name: String, type: String)]
        let key: String
        var columnNames: [String] { columns.map(\.name) }
    }

    /// Table definitions shared by SQLite and PostgreSQL (types both accept);
    /// `holdingTransactions` adds txs.tx, the canonical bytes.
    static func tables(holdingTransactions: Bool) -> [Table] {
        [
            Table(name: "meta", columns: [("key", "TEXT NOT NULL"), ("value", "TEXT NOT NULL")], key: "PRIMARY KEY (key)"),
            Table(name: "blocks", columns: [
                ("height", "BIGINT NOT NULL"), ("hash", "TEXT NOT NULL"), ("prev", "TEXT NOT NULL"),
                ("merkle", "TEXT NOT NULL"), ("block_time", "BIGINT NOT NULL"), ("bits", "TEXT NOT NULL"),
                ("nonce", "BIGINT NOT NULL"), ("tx_count", "BIGINT NOT NULL"),
                ("byte_offset", "BIGINT NOT NULL"), ("byte_length", "BIGINT NOT NULL"),
            ], key: "PRIMARY KEY (height)"),
            Table(name: "txs", columns: [
                ("height", "BIGINT NOT NULL"), ("idx", "BIGINT NOT NULL"), ("txid", "TEXT NOT NULL"),
                ("type", "TEXT NOT NULL"), ("ts_ms", "BIGINT NOT NULL"), ("signed_ms", "BIGINT NOT NULL"),
                ("signer", "TEXT NOT NULL"), ("device", "TEXT"), ("patient", "TEXT"), ("kind", "TEXT"),
                ("byte_offset", "BIGINT NOT NULL"), ("byte_length", "BIGINT NOT NULL"),
            ] + (holdingTransactions ? [("tx", "TEXT NOT NULL")] : []), key: "PRIMARY KEY (height, idx)"),
        ]
    }

    static let indexes: [String] = [
        "CREATE UNIQUE INDEX IF NOT EXISTS blocks_hash ON blocks (hash)",
        "CREATE INDEX IF NOT EXISTS txs_txid ON txs (txid)",
        "CREATE INDEX IF NOT EXISTS txs_type ON txs (type, ts_ms)",
        "CREATE INDEX IF NOT EXISTS txs_device ON txs (device, ts_ms)",
        "CREATE INDEX IF NOT EXISTS txs_patient ON txs (patient, ts_ms)",
        "CREATE INDEX IF NOT EXISTS txs_ts ON txs (ts_ms)",
    ]

    var tables: [Table] { Self.tables(holdingTransactions: db.holdsTransactions) }

    /// Opens the index; `create` makes what is missing and, in PostgreSQL,
    /// takes the loader's lock (one `ehx-query index` at a time).
    public init(location: IndexLocation, create: Bool) throws(ToolError) {
        if case .sqlite(let path) = location, !create && access(path, F_OK) != 0 {
            throw ToolError(.noInput, "\(path): no index (run ehx-query index)")
        }
        self.location = location
        db = try location.open(create: create)
        if create {
            try db.lockWriters()
            if case .sqlite = location { try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL") }
            for t in tables {
                let cols = t.columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ")
                try db.execute("CREATE TABLE IF NOT EXISTS \(t.name) (\(cols), \(t.key))")
            }
            for sql in Self.indexes { try db.execute(sql) }
        }
        if let version = try meta("schema_version"), version != Self.schemaVersion {
            throw ToolError(.dataErr, "\(name): index schema \(version); this ehx writes \(Self.schemaVersion) (delete the index and run ehx-query index)")
        }
    }

    /// The SQLite index file at `path`.
    public convenience init(path: String, create: Bool) throws(ToolError) {
        try self.init(location: .sqlite(path: path), create: create)
    }

    func meta(_ key: String) throws(ToolError) -> String? {
        let row: [IndexValue]?
        do throws(ToolError) {
            row = try db.first("SELECT value FROM meta WHERE key = ?", [.text(key)])
        } catch where error.exitStatus == .dataErr || error.exitStatus == .ioErr {
            throw ToolError(.dataErr, "\(name): not an ehx index (\(error.description))")
        }
        return row?.first?.text
    }

    /// What the index covers: the tip block and the chain bytes through it.
    public struct Coverage: Sendable, Equatable {
        public let height: Int64
        public let tip: String
        public let bytes: Int64
        public let tipOffset: Int64
        public let tipLength: Int64
        /// The tip block's header time (Unix seconds).
        public let time: Int64
    }

    /// The tip stored beside the rows (meta tip_height, written in the same
    /// transaction as each batch); an index from before that key was kept
    /// has its highest block.
    public func coverage() throws(ToolError) -> Coverage? {
        let columns = "height, hash, byte_offset, byte_length, block_time"
        let row: [IndexValue]?
        if let stored = try meta("tip_height") {
            guard let height = Int64(stored),
                  let found = try db.first("SELECT \(columns) FROM blocks WHERE height = ?", [.integer(height)]) else {
                throw ToolError(.dataErr, "\(name): the tip it records (height \(stored)) has no block row; delete the index and run ehx-query index")
            }
            row = found
        } else {
            row = try db.first("SELECT \(columns) FROM blocks ORDER BY height DESC LIMIT 1")
        }
        guard let row, let height = row[0].integer, let tip = row[1].text, let offset = row[2].integer,
              let length = row[3].integer, let time = row[4].integer
        else { return nil }
        return Coverage(height: height, tip: tip, bytes: offset + length + 1, tipOffset: offset, tipLength: length, time: time)
    }

    /// The covered chain's genesis and tip, as `ehx-query tip` would print them.
    public func tip() throws(ToolError) -> ChainTip? {
        guard let c = try coverage() else { return nil }
        return ChainTip(genesis: try meta("genesis") ?? "", hash: c.tip, height: c.height, time: c.time)
    }

    public enum Freshness: Sendable, Equatable {
        /// The index covers the whole chain file as it is now.
        case current(Coverage)
        /// The chain has blocks the index does not (yet) cover.
        case behind(Coverage, chainBytes: Int64)
        /// The chain no longer holds the indexed tip where it was: rebuilt, replaced or cut.
        case mismatch(String)
        case empty
    }

    /// Compares the index with the chain file: the indexed tip block must
    /// still be at its offset with its hash, and nothing may follow it.
    public func freshness(chain: ChainCursor) throws(ToolError) -> Freshness {
        guard let c = try coverage() else { return .empty }
        let size = chain.fileSize
        guard size >= c.bytes else { return .mismatch("the chain is shorter than the indexed tip (cut or replaced)") }
        let prefix = try chain.read(at: c.tipOffset, count: 9 + 64 + 1)
        guard prefix == Array(#"{"hash":""#.utf8) + Array(c.tip.utf8) + [0x22] else {
            return .mismatch("the chain does not hold the indexed tip \(c.tip) at height \(c.height) where it was (replaced?)")
        }
        return size == c.bytes ? .current(c) : .behind(c, chainBytes: size)
    }

    /// Result of `update`.
    public struct UpdateSummary: Sendable {
        public var blocks = 0
        public var transactions = 0
        public var rebuilt = false
        public var tip: Coverage?
    }

    /// The rows of consecutive blocks, written in one database transaction
    /// together with the tip they bring the index to.
    private struct Batch {
        var reset = false
        var blocks: [[IndexValue]] = []
        var txs: [[IndexValue]] = []
        var meta: [(String, String)] = []
        var transactions = 0
        var bytes = 0
        var tip: (height: Int64, hash: String)?
    }

    /// Indexes every complete block after the covered tip (all of them the
    /// first time, or after the chain was replaced). Each block must follow
    /// the last indexed one (height +1, prev = its hash). Blocks are written
    /// in batches of about `batchTransactions` transactions, one database
    /// transaction each with the tip it reaches, so a killed run leaves the
    /// index at the end of its last whole batch and readers never see half
    /// of one.
    public func update(chain path: String, batchTransactions: Int = ChainIndex.defaultBatch,
                       progress: ProgressMeter? = nil, note: (String) -> Void = { _ in }) throws(ToolError) -> UpdateSummary {
        let cursor = try ChainCursor(path: path)
        let total = cursor.fileSize
        var summary = UpdateSummary()
        var coverage: Coverage?
        var batch = Batch()
        switch try freshness(chain: cursor) {
        case .current(let c):
            summary.tip = c
            return summary
        case .behind(let c, _):
            coverage = c
        case .mismatch(let why):
            note("rebuilding the index: \(why)")
            batch.reset = true
            summary.rebuilt = true
        case .empty:
            break
        }
        cursor.rewind(to: coverage?.bytes ?? 0)
        var lastHeight = coverage?.height ?? -1
        var lastHash = coverage?.tip
        var committed = summary.rebuilt ? nil : lastHash
        var sinceNote = 0
        let holdsTransactions = db.holdsTransactions
        while let (offset, bytes) = try cursor.next() {
            let block: Block
            let leaves: [[UInt8]]
            do { (block, leaves) = try BlockLine.parseWithLeaves(bytes) } catch {
                throw ToolError(.dataErr, "\(path): block at byte \(offset): \(error)")
            }
            guard block.height == lastHeight + 1, lastHash == nil || block.header.prev.displayHex == lastHash else {
                throw ToolError(.dataErr, "\(path): block \(block.height) at byte \(offset) does not follow block \(lastHeight) \(lastHash ?? "")")
            }
            let hash = block.claimedHash.displayHex
            batch.blocks.append([
                .integer(block.height), .text(hash), .text(block.header.prev.displayHex),
                .text(block.header.merkle.displayHex), .integer(Int64(block.header.time)),
                .text(Block.hexBits(block.header.bits)), .integer(Int64(block.header.nonce)),
                .integer(Int64(block.txs.count)), .integer(offset), .integer(Int64(bytes.count)),
            ])
            if block.height == 0 {
                batch.meta += [("genesis", hash), ("schema_version", Self.schemaVersion)]
            }
            // The line is canonical (BlockLine.parse checked it), so its
            // transactions start right after the block's line head.
            var at = offset + Int64(block.lineHead.count)
            for (i, (tx, leaf)) in zip(block.txs, leaves).enumerated() {
                let length = Int64(leaf.count)
                func text(_ key: String) -> IndexValue {
                    tx.bodyString(key).map { .text($0) } ?? .null
                }
                var row: [IndexValue] = [
                    .integer(block.height), .integer(Int64(i)), .text(tx.txid.hex), .text(tx.type.rawValue),
                    .integer(tx.subjectTime.millisecondsSince1970), .integer(tx.ts.millisecondsSince1970),
                    .text(tx.signer.id.hex), text("device"), text("patient"), text("kind"),
                    .integer(at), .integer(length),
                ]
                if holdsTransactions {
                    row.append(.text(String(decoding: leaf, as: UTF8.self)))
                    batch.bytes += leaf.count
                }
                batch.txs.append(row)
                at += length + 1
            }
            summary.blocks += 1
            summary.transactions += block.txs.count
            batch.transactions += block.txs.count
            lastHeight = block.height
            lastHash = hash
            batch.tip = (lastHeight, hash)
            progress?.update(blocks: Int64(summary.blocks), transactions: summary.transactions,
                             bytes: offset + Int64(bytes.count) + 1, totalBytes: total)
            if batch.transactions >= batchTransactions || batch.bytes >= Self.batchBytes {
                sinceNote += batch.transactions
                try apply(batch, after: committed)
                committed = hash
                batch = Batch()
                if sinceNote >= 100_000 {
                    progress?.clear()
                    note("indexed through height \(lastHeight)")
                    sinceNote = 0
                }
            }
        }
        if batch.tip != nil || batch.reset { try apply(batch, after: committed) }
        if summary.blocks > 0 {
            progress?.finish(blocks: Int64(summary.blocks), transactions: summary.transactions, bytes: cursor.offset, totalBytes: total)
        }
        if summary.rebuilt || coverage == nil { try db.execute("ANALYZE") }
        summary.tip = try self.coverage()
        if summary.tip == nil { throw ChainReader.empty(path) }
        return summary
    }

    /// Writes one batch in one database transaction, after checking that
    /// the index still ends where the batch begins (`after`: nil for empty).
    private func apply(_ batch: Batch, after expected: String?) throws(ToolError) {
        try db.beginWrite()
        do throws(ToolError) {
            if batch.reset {
                try db.execute("DELETE FROM txs; DELETE FROM blocks; DELETE FROM meta")
            } else {
                let now = try coverage()?.tip
                if now != expected {
                    throw ToolError(.tempFail, "\(name): another run moved the index to \(now ?? "nothing") meanwhile; run ehx-query index again")
                }
            }
            let t = tables
            try db.insert(table: "blocks", columns: t[1].columnNames, rows: batch.blocks)
            try db.insert(table: "txs", columns: t[2].columnNames, rows: batch.txs)
            var meta = batch.meta
            if let tip = batch.tip { meta += [("tip_height", String(tip.height)), ("tip_hash", tip.hash)] }
            for (key, value) in meta {
                try db.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           [.text(key), .text(value)])
            }
            try db.commit()
        } catch {
            db.rollback()
            throw error
        }
    }

    /// Runs `body` in one read transaction: the tip and every row it reads
    /// are from one committed state, whatever a loader commits meanwhile.
    public func reading<T>(_ body: () throws(ToolError) -> T) throws(ToolError) -> T {
        try db.beginRead()
        do throws(ToolError) {
            let result = try body()
            try db.commit()
            return result
        } catch {
            db.rollback()
            throw error
        }
    }

    /// The transactions matching `filter` (and every one of type
    /// `alongside`, when given), in chain order, with their block and
    /// canonical bytes: from the database when it holds them, else read
    /// from `chain` at the offsets it records.
    public func matches(_ filter: TxFilter, alongside: TxType? = nil, chain: ChainCursor?,
                        _ body: (IndexedTransaction) throws(ToolError) -> Void) throws(ToolError) {
        var conditions: [String] = []
        var values: [IndexValue] = []
        if let t = filter.txid { conditions.append("t.txid = ?"); values.append(.text(t)) }
        if let t = filter.type { conditions.append("t.type = ?"); values.append(.text(t.rawValue)) }
        if let d = filter.device { conditions.append("t.device = ?"); values.append(.text(d)) }
        if let p = filter.patient { conditions.append("t.patient = ?"); values.append(.text(p)) }
        if let s = filter.since { conditions.append("t.ts_ms >= ?"); values.append(.integer(s.millisecondsSince1970)) }
        if let u = filter.until { conditions.append("t.ts_ms < ?"); values.append(.integer(u.millisecondsSince1970)) }
        var whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        if let alongside, !conditions.isEmpty {
            whereClause = " WHERE (" + conditions.joined(separator: " AND ") + ") OR t.type = ?"
            values.append(.text(alongside.rawValue))
        }
        let holds = db.holdsTransactions
        if !holds && chain == nil { throw ToolError(.usage, "\(name): this index reads transactions from the chain file; none was given") }
        let bytesColumns = holds ? "t.tx" : "t.byte_offset, t.byte_length"
        let sql = "SELECT t.height, t.idx, b.hash, t.txid, \(bytesColumns) FROM txs t JOIN blocks b ON b.height = t.height\(whereClause) ORDER BY t.height, t.idx"
        try db.query(sql, values) { (row: [IndexValue]) throws(ToolError) in
            guard let height = row[0].integer, let idx = row[1].integer, let hash = row[2].text else {
                throw ToolError(.dataErr, "\(name): a txs row without height, idx or block")
            }
            let bytes: [UInt8]
            if holds {
                guard let text = row[4].text else { throw ToolError(.dataErr, "\(name): txs row \(height)/\(idx) has no tx") }
                bytes = Array(text.utf8)
            } else {
                guard let offset = row[4].integer, let length = row[5].integer, let chain else {
                    throw ToolError(.dataErr, "\(name): txs row \(height)/\(idx) has no offset")
                }
                bytes = try chain.read(at: offset, count: Int(length))
            }
            try body(IndexedTransaction(height: height, index: Int(idx), blockHash: hash, bytes: bytes, txid: row[3].text))
        }
    }

    /// Where block `height`'s line lies in the chain file (without its newline).
    public func blockRange(height: Int64) throws(ToolError) -> (offset: Int64, length: Int64)? {
        guard let row = try db.first("SELECT byte_offset, byte_length FROM blocks WHERE height = ?", [.integer(height)]),
              let offset = row[0].integer, let length = row[1].integer else { return nil }
        return (offset, length)
    }

    /// Every indexed block's place in the chain file, by height.
    func forEachBlockRange(_ body: (_ height: Int64, _ hash: String, _ offset: Int64, _ length: Int64) throws(ToolError) -> Void) throws(ToolError) {
        try db.query("SELECT height, hash, byte_offset, byte_length FROM blocks ORDER BY height", []) { row throws(ToolError) in
            guard row.count == 4, let height = row[0].integer, let hash = row[1].text, let offset = row[2].integer,
                  let length = row[3].integer else { throw ToolError(.dataErr, "\(name): a block row without its height, hash or place") }
            try body(height, hash, offset, length)
        }
    }

    /// The block with this display hash: its height and place, if indexed.
    func blockRange(hash: String) throws(ToolError) -> (height: Int64, offset: Int64, length: Int64)? {
        guard let row = try db.first("SELECT height, byte_offset, byte_length FROM blocks WHERE hash = ?", [.text(hash)]),
              let height = row[0].integer, let offset = row[1].integer, let length = row[2].integer else { return nil }
        return (height, offset, length)
    }

    /// The block holding `txid` (its height and the tx's index), if indexed.
    public func locate(txid: String) throws(ToolError) -> (height: Int64, index: Int)? {
        guard let row = try db.first("SELECT height, idx FROM txs WHERE txid = ? ORDER BY height LIMIT 1", [.text(txid)]),
              let h = row[0].integer, let i = row[1].integer else { return nil }
        return (h, Int(i))
    }

    /// The index as PostgreSQL reads it, in the tables `--db postgres://`
    /// keeps (txs.tx included, read from `chain` when this index stores
    /// only offsets): CREATE TABLE, then `COPY ... FROM stdin` blocks in
    /// text format, then the indexes (built after the load).
    public func emitSQL(chain: ChainCursor?, _ write: (String) throws(ToolError) -> Void) throws(ToolError) {
        let target = Self.tables(holdingTransactions: true)
        let holds = db.holdsTransactions
        if !holds && chain == nil { throw ToolError(.usage, "\(name): --emit-sql reads transactions from the chain file; none was given") }
        try write("-- ehx index, schema \(Self.schemaVersion): load with  createdb ehx && ehx-query index --emit-sql | psql ehx")
        try write("BEGIN;")
        for t in target {
            try write("DROP TABLE IF EXISTS \(t.name);")
            let cols = t.columns.map { "    \($0.name) \($0.type)" }.joined(separator: ",\n")
            try write("CREATE TABLE \(t.name) (\n\(cols),\n    \(t.key)\n);")
        }
        try reading { () throws(ToolError) in
            for t in target {
                let names = t.columnNames
                try write("COPY \(t.name) (\(names.joined(separator: ", "))) FROM stdin;")
                let order = t.name == "meta" ? "key" : t.name == "blocks" ? "height" : "height, idx"
                let stored = holds ? names : names.filter { $0 != "tx" }
                try db.query("SELECT \(stored.joined(separator: ", ")) FROM \(t.name) ORDER BY \(order)", []) { (row: [IndexValue]) throws(ToolError) in
                    var row = row
                    if stored.count < names.count, let chain, let offset = row[10].integer, let length = row[11].integer {
                        row.append(.text(String(decoding: try chain.read(at: offset, count: Int(length)), as: UTF8.self)))
                    }
                    try write(row.map(Self.copyField).joined(separator: "\t"))
                }
                try write("\\.")
            }
        }
        for sql in Self.indexes { try write(sql + ";") }
        try write("COMMIT;")
    }

    /// One field in COPY text format (see `PostgresDatabase.appendCopyField`).
    static func copyField(_ value: IndexValue) -> String {
        var bytes: [UInt8] = []
        PostgresDatabase.appendCopyField(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
