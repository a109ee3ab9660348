/// A value bound to a `?` or read from a column of the index.
public enum IndexValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)

    public var integer: Int64? { if case .integer(let v) = self { return v } else { return nil } }
    public var text: String? { if case .text(let v) = self { return v } else { return nil } }
}

/// What the chain index asks of a SQL database, so that the schema, the
/// loading and the queries (`ChainIndex`) are written once for SQLite and
/// PostgreSQL. SQL uses `?` placeholders and only what both dialects accept;
/// each backend maps its own failures to a `ToolError` naming `name`.
public protocol IndexDatabase: AnyObject {
    /// The database as messages name it: a file path, or a URI without its password.
    var name: String { get }
    /// True when the txs table carries each transaction's canonical bytes
    /// (column `tx`), so queries need no chain file: PostgreSQL, which
    /// clients on other machines share. SQLite sits beside the chain and
    /// stores only offsets into it.
    var holdsTransactions: Bool { get }

    /// Runs statements without parameters or results (schema, DELETE, ANALYZE).
    func execute(_ sql: String) throws(ToolError)
    /// Runs one statement for its effect.
    func run(_ sql: String, _ values: [IndexValue]) throws(ToolError)
    /// Calls `row` for every result row, as the rows arrive.
    func query(_ sql: String, _ values: [IndexValue], _ row: ([IndexValue]) throws(ToolError) -> Void) throws(ToolError)
    /// Appends rows to a table, the fastest way the database takes them
    /// (SQLite: a prepared INSERT; PostgreSQL: COPY FROM STDIN).
    func insert(table: String, columns: [String], rows: [[IndexValue]]) throws(ToolError)

    /// Starts the transaction one batch of blocks is written in.
    func beginWrite() throws(ToolError)
    /// Starts a read-only transaction that sees one committed state
    /// throughout, whatever a loader commits meanwhile.
    func beginRead() throws(ToolError)
    func commit() throws(ToolError)
    /// Abandons the open transaction; nothing to report if there is none.
    func rollback()
    /// Keeps other loaders out for as long as this connection lives (one
    /// `ehx-query index` at a time), or throws `.tempFail` at once.
    func lockWriters() throws(ToolError)
}

extension IndexDatabase {
    /// The first row, or nil.
    public func first(_ sql: String, _ values: [IndexValue] = []) throws(ToolError) -> [IndexValue]? {
        var found: [IndexValue]?
        try query(sql, values) { (row: [IndexValue]) throws(ToolError) in if found == nil { found = row } }
        return found
    }
}
