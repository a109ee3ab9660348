#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite index of a chain file (`ehx-query index`): transactions by id,
/// type, device, patient and time, blocks by height and hash, and the tip it
/// covers. It stores where each transaction's canonical bytes sit in the
/// chain file, not the bytes, so a query reads them straight from the chain.
/// The same tables load into PostgreSQL (`emitSQL`).
public final class ChainIndex {
    public static let schemaVersion = "1"
    public let path: String
    let db: SQLiteDatabase

    public static func defaultPath(chain: String) -> String { chain + ".index.sqlite" }

    /// Table definitions shared by SQLite and PostgreSQL (types both accept).
    static let tables: [(name: String, columns: [(String, String)], key: String)] = [
        ("meta", [("key", "TEXT NOT NULL"), ("value", "TEXT NOT NULL")], "PRIMARY KEY (key)"),
        ("blocks", [
            ("height", "BIGINT NOT NULL"), ("hash", "TEXT NOT NULL"), ("prev", "TEXT NOT NULL"),
            ("merkle", "TEXT NOT NULL"), ("block_time", "BIGINT NOT NULL"), ("bits", "TEXT NOT NULL"),
            ("nonce", "BIGINT NOT NULL"), ("tx_count", "BIGINT NOT NULL"),
            ("byte_offset", "BIGINT NOT NULL"), ("byte_length", "BIGINT NOT NULL"),
        ], "PRIMARY KEY (height)"),
        ("txs", [
            ("height", "BIGINT NOT NULL"), ("idx", "BIGINT NOT NULL"), ("txid", "TEXT NOT NULL"),
            ("type", "TEXT NOT NULL"), ("ts_ms", "BIGINT NOT NULL"), ("signed_ms", "BIGINT NOT NULL"),
            ("signer", "TEXT NOT NULL"), ("device", "TEXT"), ("patient", "TEXT"), ("kind", "TEXT"),
            ("byte_offset", "BIGINT NOT NULL"), ("byte_length", "BIGINT NOT NULL"),
        ], "PRIMARY KEY (height, idx)"),
    ]

    static let indexes: [String] = [
        "CREATE UNIQUE INDEX IF NOT EXISTS blocks_hash ON blocks (hash)",
        "CREATE INDEX IF NOT EXISTS txs_txid ON txs (txid)",
        "CREATE INDEX IF NOT EXISTS txs_type ON txs (type, ts_ms)",
        "CREATE INDEX IF NOT EXISTS txs_device ON txs (device, ts_ms)",
        "CREATE INDEX IF NOT EXISTS txs_patient ON txs (patient, ts_ms)",
        "CREATE INDEX IF NOT EXISTS txs_ts ON txs (ts_ms)",
    ]

    public init(path: String, create: Bool) throws(ToolError) {
        if !create && access(path, F_OK) != 0 { throw ToolError(.noInput, "\(path): no index (run ehx-query index)") }
        self.path = path
        db = try SQLiteDatabase(path: path, create: create)
        if create {
            try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
            for t in Self.tables {
                let cols = t.columns.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
                try db.execute("CREATE TABLE IF NOT EXISTS \(t.name) (\(cols), \(t.key))")
            }
            for sql in Self.indexes { try db.execute(sql) }
        }
        if let version = try meta("schema_version"), version != Self.schemaVersion {
            throw ToolError(.dataErr, "\(path): index schema \(version); this ehx writes \(Self.schemaVersion) (delete the file and run ehx-query index)")
        }
    }

    func meta(_ key: String) throws(ToolError) -> String? {
        let row: [SQLiteDatabase.Value]?
        do {
            row = try db.prepare("SELECT value FROM meta WHERE key = ?").first([.text(key)])
        } catch {
            throw ToolError(.dataErr, "\(path): not an ehx index (\(error.description))")
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
    }

    public func coverage() throws(ToolError) -> Coverage? {
        guard let row = try db.prepare(
            "SELECT height, hash, byte_offset, byte_length FROM blocks ORDER BY height DESC LIMIT 1").first(),
            let height = row[0].integer, let tip = row[1].text, let offset = row[2].integer, let length = row[3].integer
        else { return nil }
        return Coverage(height: height, tip: tip, bytes: offset + length + 1, tipOffset: offset, tipLength: length)
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

    /// Indexes every complete block after the covered tip (all of them the
    /// first time, or after the chain was replaced). Each block must follow
    /// the last indexed one (height +1, prev = its hash).
    public func update(chain path: String, progress: ProgressMeter? = nil, note: (String) -> Void = { _ in }) throws(ToolError) -> UpdateSummary {
        let cursor = try ChainCursor(path: path)
        let total = cursor.fileSize
        var summary = UpdateSummary()
        var coverage: Coverage?
        switch try freshness(chain: cursor) {
        case .current(let c):
            summary.tip = c
            return summary
        case .behind(let c, _):
            coverage = c
        case .mismatch(let why):
            note("rebuilding the index: \(why)")
            try db.execute("DELETE FROM txs; DELETE FROM blocks; DELETE FROM meta")
            summary.rebuilt = true
        case .empty:
            break
        }
        cursor.rewind(to: coverage?.bytes ?? 0)
        var lastHeight = coverage?.height ?? -1
        var lastHash = coverage?.tip
        let insertBlock = try db.prepare("INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?,?)")
        let insertTx = try db.prepare("INSERT INTO txs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
        let setMeta = try db.prepare("INSERT OR REPLACE INTO meta VALUES (?,?)")
        var pending = 0
        try db.execute("BEGIN IMMEDIATE")
        do throws(ToolError) {
            while let (offset, bytes) = try cursor.next() {
                let block: Block
                do { block = try BlockLine.parse(bytes) } catch {
                    throw ToolError(.dataErr, "\(path): block at byte \(offset): \(error)")
                }
                guard block.height == lastHeight + 1, lastHash == nil || block.header.prev.displayHex == lastHash else {
                    throw ToolError(.dataErr, "\(path): block \(block.height) at byte \(offset) does not follow block \(lastHeight) \(lastHash ?? "")")
                }
                let hash = block.claimedHash.displayHex
                try insertBlock.run([
                    .integer(block.height), .text(hash), .text(block.header.prev.displayHex),
                    .text(block.header.merkle.displayHex), .integer(Int64(block.header.time)),
                    .text(Block.hexBits(block.header.bits)), .integer(Int64(block.header.nonce)),
                    .integer(Int64(block.txs.count)), .integer(offset), .integer(Int64(bytes.count)),
                ])
                if block.height == 0 {
                    try setMeta.run([.text("genesis"), .text(hash)])
                    try setMeta.run([.text("schema_version"), .text(Self.schemaVersion)])
                }
                // The canonical line ends with ,"txs":[leaf,leaf,...]} and the
                // members before it cannot contain that text.
                guard let start = Self.txsStart(bytes) else {
                    throw ToolError(.dataErr, "\(path): block \(block.height): no txs member")
                }
                var at = offset + Int64(start)
                for (i, tx) in block.txs.enumerated() {
                    let length = Int64(tx.leaf.count)
                    func text(_ key: String) -> SQLiteDatabase.Value {
                        tx.body[key]?.stringValue.map { .text($0) } ?? .null
                    }
                    try insertTx.run([
                        .integer(block.height), .integer(Int64(i)), .text(tx.txid.hex), .text(tx.type.rawValue),
                        .integer(tx.subjectTime.millisecondsSince1970), .integer(tx.ts.millisecondsSince1970),
                        .text(tx.signer.id.hex), text("device"), text("patient"), text("kind"),
                        .integer(at), .integer(length),
                    ])
                    at += length + 1
                }
                summary.blocks += 1
                summary.transactions += block.txs.count
                pending += block.txs.count
                lastHeight = block.height
                lastHash = hash
                progress?.update(blocks: Int64(summary.blocks), transactions: summary.transactions,
                                 bytes: offset + Int64(bytes.count) + 1, totalBytes: total)
                if pending >= 100_000 {
                    try db.execute("COMMIT; BEGIN IMMEDIATE")
                    pending = 0
                    progress?.clear()
                    note("indexed through height \(lastHeight)")
                }
            }
            try db.execute("COMMIT")
            if summary.blocks > 0 {
                progress?.finish(blocks: Int64(summary.blocks), transactions: summary.transactions, bytes: cursor.offset, totalBytes: total)
            }
        } catch {
            try? db.execute("COMMIT")
            throw error
        }
        if summary.rebuilt || coverage == nil { try db.execute("ANALYZE") }
        summary.tip = try self.coverage()
        if summary.tip == nil { throw ToolError(.dataErr, "\(path): empty chain (no genesis block)") }
        return summary
    }

    static func txsStart(_ line: [UInt8]) -> Int? {
        let marker = Array(#","txs":["#.utf8)
        guard line.count > marker.count else { return nil }
        var i = 0
        while i + marker.count <= line.count {
            if line[i] == 0x2c && Array(line[i..<(i + marker.count)]) == marker { return i + marker.count }
            i += 1
        }
        return nil
    }

    /// Where the transactions matching `filter` are, in chain order.
    public func matches(_ filter: TxFilter, _ body: (_ offset: Int64, _ length: Int) throws(ToolError) -> Void) throws(ToolError) {
        try matches(filter, types: nil) { (offset, length, _) throws(ToolError) in try body(offset, length) }
    }

    /// As `matches(_:_:)`, with each transaction's block height; `types`
    /// (when given) narrows `filter` to any of several types.
    public func matches(_ filter: TxFilter, types: [TxType]?,
                        _ body: (_ offset: Int64, _ length: Int, _ height: Int64) throws(ToolError) -> Void) throws(ToolError) {
        var conditions: [String] = []
        var values: [SQLiteDatabase.Value] = []
        if let t = filter.type { conditions.append("type = ?"); values.append(.text(t.rawValue)) }
        if let types, !types.isEmpty {
            conditions.append("type IN (" + types.map { _ in "?" }.joined(separator: ",") + ")")
            values += types.map { .text($0.rawValue) }
        }
        if let d = filter.device { conditions.append("device = ?"); values.append(.text(d)) }
        if let p = filter.patient { conditions.append("patient = ?"); values.append(.text(p)) }
        if let s = filter.since { conditions.append("ts_ms >= ?"); values.append(.integer(s.millisecondsSince1970)) }
        if let u = filter.until { conditions.append("ts_ms < ?"); values.append(.integer(u.millisecondsSince1970)) }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let statement = try db.prepare("SELECT byte_offset, byte_length, height FROM txs\(whereClause) ORDER BY height, idx")
        try statement.query(values) { (row: [SQLiteDatabase.Value]) throws(ToolError) in
            guard let offset = row[0].integer, let length = row[1].integer, let height = row[2].integer else { return }
            try body(offset, Int(length), height)
        }
    }

    /// The hash (as the chain shows it) and time of the block at `height`.
    public func block(height: Int64) throws(ToolError) -> (hash: String, time: Int64)? {
        guard let row = try db.prepare("SELECT hash, block_time FROM blocks WHERE height = ?").first([.integer(height)]),
              let hash = row[0].text, let time = row[1].integer else { return nil }
        return (hash, time)
    }

    /// The block holding `txid` (its height and the tx's index), if indexed.
    public func locate(txid: String) throws(ToolError) -> (height: Int64, index: Int)? {
        guard let row = try db.prepare("SELECT height, idx FROM txs WHERE txid = ? ORDER BY height LIMIT 1").first([.text(txid)]),
              let h = row[0].integer, let i = row[1].integer else { return nil }
        return (h, Int(i))
    }

    /// The index as PostgreSQL reads it: CREATE TABLE, then `COPY … FROM
    /// stdin` blocks in text format, then the indexes (built after the load).
    public func emitSQL(_ write: (String) throws(ToolError) -> Void) throws(ToolError) {
        try write("-- ehx index, schema \(Self.schemaVersion): load with  createdb ehx && ehx-query index --emit-sql | psql ehx")
        try write("BEGIN;")
        for t in Self.tables {
            try write("DROP TABLE IF EXISTS \(t.name);")
            let cols = t.columns.map { "    \($0.0) \($0.1)" }.joined(separator: ",\n")
            try write("CREATE TABLE \(t.name) (\n\(cols),\n    \(t.key)\n);")
        }
        for t in Self.tables {
            let names = t.columns.map(\.0)
            try write("COPY \(t.name) (\(names.joined(separator: ", "))) FROM stdin;")
            let order = t.name == "meta" ? "key" : t.name == "blocks" ? "height" : "height, idx"
            try db.prepare("SELECT \(names.joined(separator: ", ")) FROM \(t.name) ORDER BY \(order)").query { (row: [SQLiteDatabase.Value]) throws(ToolError) in
                try write(row.map(Self.copyField).joined(separator: "\t"))
            }
            try write("\\.")
        }
        for sql in Self.indexes { try write(sql + ";") }
        try write("COMMIT;")
    }

    /// One field in COPY text format: \N for NULL; backslash, tab, newline
    /// and carriage return escaped.
    static func copyField(_ value: SQLiteDatabase.Value) -> String {
        switch value {
        case .null: return "\\N"
        case .integer(let v): return String(v)
        case .text(let s):
            var out = ""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
    }
}
