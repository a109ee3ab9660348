#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A maildir-style spool of transactions between `ehx-sign --spool` and
/// `ehx-mine --spool` (`man ehx.7`, SPOOL). One transaction per file. A
/// writer creates `tmp/NAME`, writes and fsyncs it, renames it to `new/NAME`
/// and fsyncs `new/`, so `new/` only ever holds whole, durable files and any
/// number of writers can work at once. The miner retires an entry (unlinks
/// it) only after its transaction is durably on the chain, and moves an
/// invalid one to `rejected/NAME` beside `rejected/NAME.reason`.
///
/// NAME is `SECONDS.MICROSECONDS.PID.COUNTER.TXID16`: the writer's clock
/// (never going backwards within one process), its pid, a per-process
/// counter and the first 16 hex digits of the txid. Entries are taken in
/// the numeric order of the first four fields, so one writer's transactions
/// reach the chain in the order it wrote them.
public final class Spool {
    public let path: String
    private var lastMicros: UInt64 = 0
    private var counter: UInt64 = 0
    private let pid = UInt64(getpid())

    /// Opens the spool. `create` makes DIR, DIR/tmp and DIR/new (mode 0755)
    /// when missing (a writer); otherwise DIR/new must exist (a miner).
    public init(path: String, create: Bool) throws(ToolError) {
        self.path = path
        if create {
            for dir in [path, path + "/tmp", path + "/new"] { try Self.makeDirectory(dir) }
        } else {
            var info = stat()
            guard stat(path + "/new", &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw ToolError(.noInput, "\(path): not a spool (no \(path)/new directory): \(String(cString: strerror(errno)))")
            }
        }
    }

    static func makeDirectory(_ dir: String) throws(ToolError) {
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw ToolError(.cantCreate, "\(dir): cannot create directory: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - Writing (ehx-sign --spool)

    /// Writes `bytes` as a new entry; returns its name once it is durably in new/.
    @discardableResult
    public func deposit(_ bytes: [UInt8], txid: SHA256Digest) throws(ToolError) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let micros = max(UInt64(max(0, now.tv_sec)) * 1_000_000 + UInt64(max(0, now.tv_nsec)) / 1000, lastMicros)
        lastMicros = micros
        counter += 1
        let micro = String(micros % 1_000_000)
        let name = "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - micro.count))\(micro).\(pid).\(counter).\(txid.hex.prefix(16))"
        let tmp = path + "/tmp/" + name
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolError(.cantCreate, "\(tmp): \(String(cString: strerror(errno)))") }
        let written = Self.writeAll(fd, bytes)
        let synced = written == 0 && fsync(fd) == 0
        let code = written != 0 ? written : errno
        close(fd)
        guard synced else {
            unlink(tmp)
            throw ToolError(.ioErr, "\(tmp): write failed: \(String(cString: strerror(code)))")
        }
        guard rename(tmp, path + "/new/" + name) == 0 else {
            let code = errno
            unlink(tmp)
            throw ToolError(.ioErr, "\(path)/new/\(name): rename failed: \(String(cString: strerror(code)))")
        }
        try Self.syncDirectory(path + "/new")
        return name
    }

    /// 0, or the errno of a failed write.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { return EIO }
                done += n
            }
            return 0
        }
    }

    static func syncDirectory(_ dir: String) throws(ToolError) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ToolError(.ioErr, "\(dir): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw ToolError(.ioErr, "\(dir): fsync failed: \(String(cString: strerror(errno)))") }
    }

    // MARK: - Reading (ehx-mine --spool)

    public struct Entry: Sendable, Comparable {
        public let name: String
        /// (seconds, microseconds, pid, counter); names of another shape sort last, by name.
        let key: [UInt64]

        init(name: String) {
            self.name = name
            let fields = name.split(separator: ".", omittingEmptySubsequences: false).prefix(4).map { UInt64($0) }
            key = fields.count == 4 && fields.allSatisfy({ $0 != nil }) ? fields.map { $0! } : [.max]
        }

        public static func < (a: Entry, b: Entry) -> Bool {
            a.key != b.key ? a.key.lexicographicallyPrecedes(b.key) : a.name < b.name
        }
    }

    /// The entries in new/, oldest first. Hidden names (".…") are ignored.
    public func entries() throws(ToolError) -> [Entry] {
        try Self.names(in: path + "/new").filter { !$0.hasPrefix(".") }.map(Entry.init).sorted()
    }

    static func names(in dir: String) throws(ToolError) -> [String] {
        guard let handle = opendir(dir) else {
            throw ToolError(.ioErr, "\(dir): cannot list: \(String(cString: strerror(errno)))")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public enum Content: Sendable {
        case bytes([UInt8])
        /// The entry is larger than the limit; it was not read.
        case tooLong(Int)
        /// Gone (retired by someone else) or not a regular file.
        case missing
    }

    /// An entry's bytes, unless it is larger than `maxBytes`.
    public func read(_ entry: Entry, maxBytes: Int) throws(ToolError) -> Content {
        let file = path + "/new/" + entry.name
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ELOOP { return .missing }
            throw ToolError(.ioErr, "\(file): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .missing }
        let size = Int(info.st_size)
        if size > maxBytes { return .tooLong(size) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { break }
                throw ToolError(.ioErr, "\(file): read error: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        return .bytes(Array(bytes.prefix(done)))
    }

    /// Unlinks entries whose transactions are durably on the chain, then
    /// syncs new/ so they stay gone.
    public func retire(_ names: [String]) throws(ToolError) {
        guard !names.isEmpty else { return }
        for name in names where unlink(path + "/new/" + name) != 0 && errno != ENOENT {
            throw ToolError(.ioErr, "\(path)/new/\(name): cannot remove: \(String(cString: strerror(errno)))")
        }
        try Self.syncDirectory(path + "/new")
    }

    /// Moves an entry to rejected/NAME with rejected/NAME.reason (one line).
    /// The reason is written first, so a kill between the two steps leaves
    /// the entry in new/ to be judged again.
    public func reject(_ name: String, reason: String) throws(ToolError) {
        let dir = path + "/rejected"
        try Self.makeDirectory(dir)
        let reasonPath = dir + "/" + name + ".reason"
        let fd = open(reasonPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolError(.cantCreate, "\(reasonPath): \(String(cString: strerror(errno)))") }
        let text = reason.replacingNewlines() + "\n"
        let failed = Self.writeAll(fd, Array(text.utf8))
        close(fd)
        if failed != 0 { throw ToolError(.ioErr, "\(reasonPath): write failed: \(String(cString: strerror(failed)))") }
        guard rename(path + "/new/" + name, dir + "/" + name) == 0 || errno == ENOENT else {
            throw ToolError(.ioErr, "\(path)/new/\(name): cannot move to rejected/: \(String(cString: strerror(errno)))")
        }
        try Self.syncDirectory(dir)
        try Self.syncDirectory(path + "/new")
    }

    /// Removes files left in tmp/ by writers killed mid-write, once they are
    /// older than `seconds` (maildir's 36 hours); returns how many.
    @discardableResult
    public func cleanTemporary(olderThan seconds: Int) -> Int {
        guard let names = try? Self.names(in: path + "/tmp") else { return 0 }
        let cutoff = time(nil) - seconds
        var removed = 0
        for name in names {
            var info = stat()
            let file = path + "/tmp/" + name
            if lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mtim.tv_sec < cutoff, unlink(file) == 0 {
                removed += 1
            }
        }
        return removed
    }
}

private extension String {
    func replacingNewlines() -> String {
        String(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
