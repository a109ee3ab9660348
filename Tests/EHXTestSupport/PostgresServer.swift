import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL server for one test: `initdb` and `pg_ctl` in a
/// fresh temporary directory, run as an unprivileged user (PostgreSQL
/// refuses root: as root the server runs as `postgres`, the Debian package's
/// user, else `nobody`), listening only on a Unix socket in that directory
/// (no TCP port to collide with anything), trust authentication for the
/// superuser `ehx`. `stop()` shuts it down and removes the directory.
public final class PostgresServer: @unchecked Sendable {
    /// The directory holding initdb and pg_ctl (the newest under
    /// /usr/lib/postgresql, else `pg_config --bindir`), or nil when
    /// PostgreSQL is not installed: tests then skip with `missing`.
    public static let binaries: String? = {
        let fm = FileManager.default
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for v in versions where fm.isExecutableFile(atPath: "/usr/lib/postgresql/\(v)/bin/initdb") {
            return "/usr/lib/postgresql/\(v)/bin"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        where fm.isExecutableFile(atPath: "\(dir)/initdb") && fm.isExecutableFile(atPath: "\(dir)/pg_ctl") {
            return String(dir)
        }
        return nil
    }()

    public static let missing = "PostgreSQL is not installed (make test-deps installs Debian's postgresql); skipped"

    public let directory: String
    public let user = "ehx"
    private var running = false

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts a server; throws when PostgreSQL is installed but will not start.
    public init() throws {
        guard let bin = Self.binaries else { throw Failure(description: Self.missing) }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let owner = Self.serverUser {
            guard chown(directory, owner.uid, owner.gid) == 0 else { throw Failure(description: "chown \(directory): \(String(cString: strerror(errno)))") }
        }
        try runAsServer(bin + "/initdb", ["-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
        // fsync off: a test server's data is thrown away anyway.
        try runAsServer(bin + "/pg_ctl", ["-D", data, "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                                          "-k \(directory) -c listen_addresses= -c fsync=off -c max_connections=40", "start"])
        running = true
    }

    deinit { stop() }

    var data: String { directory + "/data" }

    /// A `postgresql://` URI for `database` on this server's socket.
    public func uri(_ database: String = "postgres") -> String {
        "postgresql:///\(database)?host=\(directory)&user=\(user)"
    }

    /// Creates an empty database and returns its URI.
    public func createDatabase(_ name: String) throws -> String {
        _ = try psql("postgres", "CREATE DATABASE \(name)")
        return uri(name)
    }

    /// Runs SQL with psql (tuples only, unaligned, tab-separated; stops at
    /// the first error) and returns its standard output.
    public func psql(_ database: String, _ sql: String) throws -> String {
        guard let bin = Self.binaries else { throw Failure(description: Self.missing) }
        let (ended, out) = try ChildProcess.output(of: bin + "/psql", [
            "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-U", user, "-d", database, "-c", sql,
        ])
        guard ended == .success else { throw Failure(description: "psql \(sql): exit \(ended.status)") }
        return String(decoding: out, as: UTF8.self)
    }

    /// A psql session the test drives through its standard input (`write`,
    /// then `closeInput`), e.g. to hold a lock while a tool runs; its output
    /// goes to `log`.
    public func session(_ database: String, log: String) throws -> ChildProcess {
        guard let bin = Self.binaries else { throw Failure(description: Self.missing) }
        return try ChildProcess(executable: bin + "/psql", arguments: [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-U", user, "-d", database,
        ], input: .pipe, output: .file(log), error: .appending(log))
    }

    /// Feeds a file to psql (as `psql -f`).
    public func psql(_ database: String, file: String) throws {
        guard let bin = Self.binaries else { throw Failure(description: Self.missing) }
        let (ended, _) = try ChildProcess.output(of: bin + "/psql", [
            "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", directory, "-U", user, "-d", database, "-f", file,
        ])
        guard ended == .success else { throw Failure(description: "psql -f \(file): exit \(ended.status)") }
    }

    /// Stops the server (fast shutdown) and removes its directory.
    public func stop() {
        guard running, let bin = Self.binaries else { return }
        running = false
        try? runAsServer(bin + "/pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Who runs the server when the tests run as root.
    private static let serverUser: (uid: uid_t, gid: gid_t)? = {
        guard geteuid() == 0 else { return nil }
        for name in ["postgres", "nobody"] {
            if let entry = getpwnam(name) { return (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        }
        return nil
    }()

    private static let runuser: String? = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    private func runAsServer(_ executable: String, _ arguments: [String]) throws {
        var command = executable
        var args = arguments
        if let owner = Self.serverUser, let name = getpwuid(owner.uid).map({ String(cString: $0.pointee.pw_name) }) {
            guard let runuser = Self.runuser else { throw Failure(description: "running as root and no runuser to start PostgreSQL as \(name)") }
            command = runuser
            args = ["-u", name, "--", executable] + arguments
        }
        let log = directory + "/" + (executable as NSString).lastPathComponent + ".out"
        let child = try ChildProcess(executable: command, arguments: args, directory: directory, input: .null,
                                     output: .appending(log), error: .appending(log))
        let ended = child.waitUntilExit()
        guard ended == .success else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let serverLog = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw Failure(description: "\(executable) exit \(ended.status): \(text.suffix(800)) \(serverLog.suffix(800))")
        }
    }
}
