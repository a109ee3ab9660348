/// Where an index lives, from `--db`: a `postgres://` or `postgresql://`
/// URI (libpq's syntax: user, password, host or socket directory, port,
/// database, parameters) or else a SQLite file path.
public enum IndexLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(uri: String)

    public init(_ argument: String) {
        let lower = argument.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            self = .postgres(uri: argument)
        } else {
            self = .sqlite(path: argument)
        }
    }

    public var isPostgres: Bool { if case .postgres = self { return true } else { return false } }

    /// What output and messages may show: a URI's password (in its user
    /// part or as a `password=` parameter) is cut out.
    public var displayName: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let uri): return Self.redacted(uri)
        }
    }

    /// A command-line argument as a page or log may repeat it: a postgres
    /// URI in it (alone or after `--db=`) loses its password.
    public static func redactedArgument(_ argument: String) -> String {
        if let eq = argument.firstIndex(of: "="), argument.hasPrefix("--") {
            let value = String(argument[argument.index(after: eq)...])
            if IndexLocation(value).isPostgres { return argument[...eq] + redacted(value) }
        }
        return IndexLocation(argument).isPostgres ? redacted(argument) : argument
    }

    static func redacted(_ uri: String) -> String {
        guard let schemeEnd = uri.firstRange(of: "://") else { return uri }
        let scheme = uri[..<schemeEnd.upperBound]
        var rest = uri[schemeEnd.upperBound...]
        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at]
            let userName = user.firstIndex(of: ":").map { user[..<$0] } ?? user
            authority = userName + authority[at...]
        }
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false)
            .filter { !$0.lowercased().hasPrefix("password=") }
        return scheme + authority + path + (parameters.isEmpty || query.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
    }

    /// Opens the database (creating the SQLite file or the tables when `create`).
    func open(create: Bool) throws(ToolError) -> any IndexDatabase {
        switch self {
        case .sqlite(let path): return try SQLiteDatabase(path: path, create: create)
        case .postgres(let uri): return try PostgresDatabase(uri: uri, name: displayName)
        }
    }
}
