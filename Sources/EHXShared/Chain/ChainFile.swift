#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only chain file, opened for writing under an exclusive flock.
/// Appends are one write(2) of whole lines followed by fsync, and a torn
/// tail (a crash mid-write) is cut off before anything new is written, so a
/// reader never trusts half a block.
public final class ChainFile {
    public let path: String
    private let fd: Int32

    /// Opens an existing chain and takes its lock. `wait: false` fails at once
    /// with status 75 when another process holds it (cron-friendly).
    public init(lockingForAppend path: String, wait: Bool) throws(ToolError) {
        self.path = path
        let fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ToolError(code == ENOENT ? .noInput : .cantCreate, FileProblem.message(path, cannot: "open", errno: code))
        }
        if flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw ToolError(.tempFail, "\(path): locked by another process (try again, or use --wait)")
            }
            throw ToolError(.ioErr, FileProblem.message(path, cannot: "lock", errno: code))
        }
        self.fd = fd
    }

    deinit {
        close(fd) // also releases the flock
    }

    /// Creates a new chain holding `firstLine`; refuses to replace an existing file.
    public static func create(path: String, firstLine: [UInt8]) throws(ToolError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw ToolError(.cantCreate, code == EEXIST ? KeyFileError.exists(path: path).description : FileProblem.message(path, cannot: "create", errno: code))
        }
        defer { close(fd) }
        let file = ChainFile(fd: fd, path: path)
        try file.writeAll(firstLine, from: 0)
        try file.sync()
        syncDirectory(of: path)
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Cuts bytes after the last newline: what a killed append left behind.
    /// Returns how many bytes were dropped.
    @discardableResult
    public func cutTornTail() throws(ToolError) -> Int {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return 0 }
        var keep = size
        var byte: UInt8 = 0
        // Scan back in chunks of one byte: torn tails are rare and short.
        while keep > 0 {
            guard pread(fd, &byte, 1, keep - 1) == 1 else {
                throw ToolError(.ioErr, FileProblem.message(path, cannot: "read", errno: errno))
            }
            if byte == 0x0a { break }
            keep -= 1
        }
        let dropped = Int(size - keep)
        if dropped > 0 {
            guard ftruncate(fd, keep) == 0 else {
                throw ToolError(.ioErr, "\(path): cannot cut the torn last line: \(String(cString: strerror(errno)))")
            }
            try sync()
        }
        return dropped
    }

    /// The file's stamp just before and just after the last successful
    /// append: a snapshot that knew the first may take on the second
    /// (nothing else was written in between), and only then.
    public private(set) var lastAppend: (before: FileStamp?, after: FileStamp?)?

    /// Appends whole lines in one write and fsyncs. If the write comes up
    /// short (disk full) the file is cut back, so the chain stays as it was.
    public func append(_ lines: [UInt8]) throws(ToolError) {
        let start = lseek(fd, 0, SEEK_END)
        lastAppend = nil
        let before = FileStamp(fd: fd)
        do {
            try writeAll(lines, from: start)
            try sync()
            lastAppend = (before, FileStamp(fd: fd))
        } catch {
            _ = ftruncate(fd, start)
            _ = fsync(fd)
            throw error
        }
    }

    private func writeAll(_ bytes: [UInt8], from start: off_t) throws(ToolError) {
        let failed = FileWriting.writeAll(fd, bytes)
        if failed != 0 {
            throw ToolError(.ioErr, "\(path): write failed: \(FileWriting.errorText(failed))")
        }
    }

    private func sync() throws(ToolError) {
        if fsync(fd) != 0 { throw ToolError(.ioErr, "\(path): fsync failed: \(String(cString: strerror(errno)))") }
    }

    /// A new file's name is durable only once its directory is synced.
    static func syncDirectory(of path: String) {
        let dir = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
