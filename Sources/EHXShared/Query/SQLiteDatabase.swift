import CSQLite

/// The one place ehx touches the SQLite C API: a connection, prepared
/// statements with positional parameters, and rows read by column. Every
/// failure becomes a ToolError naming the database file.
public final class SQLiteDatabase {
    public let path: String
    private var handle: OpaquePointer?
    /// Statements `run` and `insert` reuse, by their SQL.
    private var cached: [String: Statement] = [:]

    public typealias Value = IndexValue

    /// Opens (creating when `create`) the database file.
    public init(path: String, create: Bool) throws(ToolError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw ToolError(rc == SQLITE_CANTOPEN ? (create ? .cantCreate : .noInput) : .ioErr, "\(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    private func failure(_ what: String) -> ToolError {
        let message = String(cString: sqlite3_errmsg(handle))
        let code = sqlite3_errcode(handle)
        let status: Sysexits = code == SQLITE_BUSY || code == SQLITE_LOCKED ? .tempFail
            : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? .dataErr : .ioErr
        return ToolError(status, "\(path): \(what): \(message)")
    }

    /// Runs one or more statements without parameters or results.
    public func execute(_ sql: String) throws(ToolError) {
        if sqlite3_exec(handle, sql, nil, nil, nil) != SQLITE_OK { throw failure("SQL failed") }
    }

    /// A prepared statement; reset and rebound for each use.
    public final class Statement {
        fileprivate let db: SQLiteDatabase
        fileprivate var stmt: OpaquePointer?

        fileprivate init(db: SQLiteDatabase, sql: String) throws(ToolError) {
            self.db = db
            if sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nil) != SQLITE_OK { throw db.failure("cannot prepare") }
        }

        deinit { sqlite3_finalize(stmt) }

        private func bind(_ values: [Value]) throws(ToolError) {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
            for (i, value) in values.enumerated() {
                let index = Int32(i + 1)
                let rc: Int32
                switch value {
                case .null: rc = sqlite3_bind_null(stmt, index)
                case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
                case .text(let s):
                    rc = s.utf8CString.withUnsafeBufferPointer {
                        ehx_sqlite3_bind_text_copy(stmt, index, $0.baseAddress, Int32($0.count - 1))
                    }
                }
                if rc != SQLITE_OK { throw db.failure("cannot bind parameter \(index)") }
            }
        }

        /// Runs the statement for its effect (INSERT, UPDATE, ...).
        public func run(_ values: [Value] = []) throws(ToolError) {
            try bind(values)
            let rc = sqlite3_step(stmt)
            if rc != SQLITE_DONE && rc != SQLITE_ROW { throw db.failure("statement failed") }
            sqlite3_reset(stmt)
        }

        /// Calls `row` for every result row with its columns.
        public func query(_ values: [Value] = [], _ row: ([Value]) throws(ToolError) -> Void) throws(ToolError) {
            try bind(values)
            defer { sqlite3_reset(stmt) }
            let columns = sqlite3_column_count(stmt)
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw db.failure("query failed") }
                var out: [Value] = []
                out.reserveCapacity(Int(columns))
                for c in 0..<columns {
                    switch sqlite3_column_type(stmt, c) {
                    case SQLITE_NULL: out.append(.null)
                    case SQLITE_INTEGER: out.append(.integer(sqlite3_column_int64(stmt, c)))
                    default:
                        if let text = sqlite3_column_text(stmt, c) {
                            out.append(.text(String(cString: text)))
                        } else {
                            out.append(.null)
                        }
                    }
                }
                try row(out)
            }
        }

        /// The first row, or nil.
        public func first(_ values: [Value] = []) throws(ToolError) -> [Value]? {
            var found: [Value]?
            try query(values) { (row: [Value]) throws(ToolError) in if found == nil { found = row } }
            return found
        }
    }

    public func prepare(_ sql: String) throws(ToolError) -> Statement {
        try Statement(db: self, sql: sql)
    }

    func cachedStatement(_ sql: String) throws(ToolError) -> Statement {
        if let statement = cached[sql] { return statement }
        let statement = try prepare(sql)
        cached[sql] = statement
        return statement
    }

    /// Runs `body` inside one transaction; rolls back when it throws.
    public func transaction(_ body: () throws(ToolError) -> Void) throws(ToolError) {
        try execute("BEGIN IMMEDIATE")
        do throws(ToolError) {
            try body()
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
    }
}

extension SQLiteDatabase: IndexDatabase {
    public var name: String { path }
    public var holdsTransactions: Bool { false }

    public func run(_ sql: String, _ values: [IndexValue]) throws(ToolError) {
        try cachedStatement(sql).run(values)
    }

    public func query(_ sql: String, _ values: [IndexValue], _ row: ([IndexValue]) throws(ToolError) -> Void) throws(ToolError) {
        try prepare(sql).query(values, row)
    }

    public func insert(table: String, columns: [String], rows: [[IndexValue]]) throws(ToolError) {
        guard !rows.isEmpty else { return }
        let marks = Array(repeating: "?", count: columns.count).joined(separator: ",")
        let statement = try cachedStatement("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(marks))")
        for row in rows { try statement.run(row) }
    }

    // IMMEDIATE: the write lock is taken at BEGIN, so a second loader
    // waits (busy timeout) instead of failing halfway through a batch.
    public func beginWrite() throws(ToolError) { try execute("BEGIN IMMEDIATE") }
    // In WAL mode a read transaction keeps the snapshot of its first read.
    public func beginRead() throws(ToolError) { try execute("BEGIN") }
    public func commit() throws(ToolError) { try execute("COMMIT") }
    public func rollback() { try? execute("ROLLBACK") }
    // BEGIN IMMEDIATE and the tip check inside each batch are enough here.
    public func lockWriters() throws(ToolError) {}
}
