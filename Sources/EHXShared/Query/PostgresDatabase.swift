#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPostgres

/// The one place ehx touches libpq: a connection from a `postgres://` URI,
/// statements with `?` parameters (sent as `$n`, values in text format),
/// rows streamed one at a time, and COPY for bulk loads. Every failure
/// becomes a ToolError naming the database without its password.
public final class PostgresDatabase {
    public let name: String
    private let connection: OpaquePointer

    /// Connects; `name` is what messages show (see `IndexLocation.displayName`).
    public init(uri: String, name: String) throws(ToolError) {
        self.name = name
        guard let connection = PQconnectdb(uri) else { throw ToolError(.ioErr, "\(name): libpq is out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.firstLine(PQerrorMessage(connection))
            PQfinish(connection)
            throw ToolError(Self.connectStatus(message), "\(name): cannot connect: \(message)")
        }
        self.connection = connection
        // The server's notices ("relation already exists, skipping") would
        // go to stderr unasked: only warnings and errors are worth a line.
        try execute("SET client_min_messages TO warning")
        guard PQsetClientEncoding(connection, "UTF8") == 0 else {
            throw ToolError(.ioErr, "\(name): cannot set client_encoding UTF8: \(Self.firstLine(PQerrorMessage(connection)))")
        }
        // Transactions go in as text and must come back byte for byte: a
        // server encoding that converts (LATIN1, ...) could not promise it.
        let encoding = try first("SHOW server_encoding")?.first?.text ?? ""
        guard encoding == "UTF8" || encoding == "SQL_ASCII" else {
            throw ToolError(.dataErr, "\(name): the database's encoding is \(encoding); create it with UTF8 (createdb -E UTF8 -T template0 ...)")
        }
    }

    deinit { PQfinish(connection) }

    private static func firstLine(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        let all = String(cString: text)
        let line = all.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? all
        return line.hasPrefix("FATAL:  ") ? String(line.dropFirst(8)) : line
    }

    private static func connectStatus(_ message: String) -> Sysexits {
        if message.contains("password authentication failed") || message.contains("no password supplied")
            || message.contains("permission denied") || message.contains("not permitted") { return .noPerm }
        if message.contains("does not exist") { return .noInput }
        // A server that is down or restarting: cron tries again later.
        return .tempFail
    }

    /// A failed result as a ToolError, by SQLSTATE class.
    private func failure(_ result: OpaquePointer?, _ what: String) -> ToolError {
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        let message = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
            ?? Self.firstLine(PQerrorMessage(connection))
        let status: Sysexits
        switch state {
        case "42P01", "3F000": status = .noInput          // no such table or schema: never indexed
        case "42501": status = .noPerm                    // insufficient privilege
        case "40001", "40P01", "55P03", "57014": status = .tempFail // serialization, deadlock, lock, cancel
        case let s where s.hasPrefix("08") || s.hasPrefix("57P"): status = .tempFail // connection, shutdown
        case let s where s.hasPrefix("28"): status = .noPerm
        default: status = .ioErr
        }
        if state == "42P01" || state == "3F000" {
            return ToolError(status, "\(name): no ehx index here (\(message)); run ehx-query index --db URI")
        }
        return ToolError(status, "\(name): \(what): \(message)")
    }

    /// `?` placeholders as PostgreSQL's `$1, $2, ...` (none of ehx's SQL
    /// has a `?` inside a string literal).
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        var inLiteral = false
        for c in sql {
            if c == "'" { inLiteral.toggle() }
            if c == "?" && !inLiteral {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Calls `body` with the parameters as C strings (NULL for SQL NULL).
    private func withParameters<T>(_ values: [IndexValue], _ body: ([UnsafePointer<CChar>?]) throws(ToolError) -> T) throws(ToolError) -> T {
        var owned: [UnsafeMutablePointer<CChar>?] = []
        defer { for p in owned { free(p) } }
        for value in values {
            switch value {
            case .null: owned.append(nil)
            case .integer(let v): owned.append(strdup(String(v)))
            case .text(let s): owned.append(strdup(s))
            }
        }
        return try body(owned.map { $0.map { UnsafePointer($0) } })
    }

    /// Reads and frees every result still pending on the connection.
    private func drain() {
        while let result = PQgetResult(connection) { PQclear(result) }
    }

    /// Asks the server to stop a query whose rows nobody will read.
    private func cancel() {
        guard let handle = PQgetCancel(connection) else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
        PQfreeCancel(handle)
    }

    private static func value(_ result: OpaquePointer, _ row: Int32, _ column: Int32) -> IndexValue {
        if PQgetisnull(result, row, column) != 0 { return .null }
        let text = String(cString: PQgetvalue(result, row, column))
        switch PQftype(result, column) {
        case 20, 21, 23: // int8, int2, int4
            return Int64(text).map { .integer($0) } ?? .text(text)
        default:
            return .text(text)
        }
    }
}

extension PostgresDatabase: IndexDatabase {
    public var holdsTransactions: Bool { true }

    public func execute(_ sql: String) throws(ToolError) {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw failure(result, "SQL failed") }
    }

    public func run(_ sql: String, _ values: [IndexValue]) throws(ToolError) {
        try query(sql, values) { (_: [IndexValue]) throws(ToolError) in }
    }

    public func query(_ sql: String, _ values: [IndexValue], _ row: ([IndexValue]) throws(ToolError) -> Void) throws(ToolError) {
        let sent = try withParameters(values) { (parameters: [UnsafePointer<CChar>?]) throws(ToolError) -> Int32 in
            PQsendQueryParams(connection, Self.numbered(sql), Int32(parameters.count), nil, parameters, nil, nil, 0)
        }
        guard sent == 1 else { throw failure(nil, "cannot send the query") }
        // One row at a time: a query's answer may be millions of rows.
        _ = PQsetSingleRowMode(connection)
        var error: ToolError?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if error != nil { continue }
            switch status {
            case PGRES_SINGLE_TUPLE:
                let columns = PQnfields(result)
                var out: [IndexValue] = []
                out.reserveCapacity(Int(columns))
                for c in 0..<columns { out.append(Self.value(result, 0, c)) }
                do { try row(out) } catch let e {
                    error = e
                    cancel()
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                break
            default:
                error = failure(result, "query failed")
            }
        }
        if let error { throw error }
    }

    public func insert(table: String, columns: [String], rows: [[IndexValue]]) throws(ToolError) {
        guard !rows.isEmpty else { return }
        let start = PQexec(connection, "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN")
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            let e = failure(start, "cannot start COPY \(table)")
            PQclear(start)
            drain()
            throw e
        }
        PQclear(start)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var sendFailed = false
        func send() {
            guard !buffer.isEmpty, !sendFailed else { return }
            let ok = buffer.withUnsafeBytes { raw in
                PQputCopyData(connection, raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count))
            }
            if ok != 1 { sendFailed = true }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (i, value) in row.enumerated() {
                if i > 0 { buffer.append(0x09) }
                Self.appendCopyField(value, to: &buffer)
            }
            buffer.append(0x0a)
            if buffer.count >= 1 << 20 { send() }
        }
        send()
        let ended = PQputCopyEnd(connection, sendFailed ? "ehx: sending rows failed" : nil)
        var error: ToolError?
        while let result = PQgetResult(connection) {
            if error == nil && PQresultStatus(result) != PGRES_COMMAND_OK { error = failure(result, "COPY \(table) failed") }
            PQclear(result)
        }
        if let error { throw error }
        if ended != 1 || sendFailed { throw failure(nil, "COPY \(table) failed") }
    }

    /// One field in COPY text format: \N for NULL; backslash, tab, newline
    /// and carriage return escaped (the only bytes COPY gives a meaning).
    static func appendCopyField(_ value: IndexValue, to out: inout [UInt8]) {
        switch value {
        case .null: out += [0x5c, 0x4e]
        case .integer(let v): out += Array(String(v).utf8)
        case .text(let s):
            for byte in s.utf8 {
                switch byte {
                case 0x5c: out += [0x5c, 0x5c]
                case 0x09: out += [0x5c, 0x74]
                case 0x0a: out += [0x5c, 0x6e]
                case 0x0d: out += [0x5c, 0x72]
                default: out.append(byte)
                }
            }
        }
    }

    public func beginWrite() throws(ToolError) { try execute("BEGIN") }
    // REPEATABLE READ: the tip and the rows a query reads come from one
    // snapshot, however many batches a loader commits meanwhile.
    public func beginRead() throws(ToolError) { try execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") }
    public func commit() throws(ToolError) { try execute("COMMIT") }
    public func rollback() { try? execute("ROLLBACK") }

    /// A session advisory lock: released when the connection ends, so a
    /// killed loader never leaves it held.
    public func lockWriters() throws(ToolError) {
        guard let row = try first("SELECT pg_try_advisory_lock(?)", [.integer(Self.writerLock)]) else {
            throw ToolError(.ioErr, "\(name): pg_try_advisory_lock returned nothing")
        }
        guard row.first?.text == "t" else {
            throw ToolError(.tempFail, "\(name): another ehx-query index is updating this database; try again when it is done")
        }
    }

    /// The advisory lock key: "ehx-idx" in ASCII.
    static let writerLock: Int64 = 0x65_6878_2d69_6478
}
