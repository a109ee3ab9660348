#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole lines of a chain file from a byte offset, for readers that
/// come back for more: the index (incremental update) and `txs --follow`.
/// A last line without its newline is never returned: it is a miner's
/// append in progress or a torn tail the miner will cut, so `offset` stays
/// at its start until the line is complete.
public final class ChainCursor {
    public let path: String
    private let fd: Int32
    /// Where the next unread line starts.
    public private(set) var offset: Int64
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private static let chunk = 1 << 20

    public init(path: String, offset: Int64 = 0) throws(ToolError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ToolError(code == EACCES || code == EPERM ? .noPerm : .noInput, FileProblem.message(path, cannot: "read", errno: code))
        }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw ToolError(.noInput, "\(path): is a directory")
        }
        self.fd = fd
        self.offset = offset
    }

    deinit { close(fd) }

    /// The file's size now (it grows while a miner appends).
    public var fileSize: Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : -1
    }

    /// The open file's identity and last change (`FileStamp`).
    public var stamp: FileStamp? { FileStamp(fd: fd) }

    /// The inode and device of the open file, to notice a replaced path.
    public var identity: (UInt64, UInt64) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return (0, 0) }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// The next complete line (without "\n") and the offset it starts at,
    /// or nil when only a partial line or nothing is left for now.
    public func next() throws(ToolError) -> (offset: Int64, bytes: [UInt8])? {
        while true {
            if let newline = buffer[bufferStart...].firstIndex(of: 0x0a) {
                let line = Array(buffer[bufferStart..<newline])
                let start = offset
                offset += Int64(line.count + 1)
                bufferStart = newline + 1
                return (start, line)
            }
            // Read the partial line again from its start, with more after
            // it: bytes kept from an earlier read may belong to a torn tail
            // the miner has since cut and overwritten.
            let want = buffer.count - bufferStart + Self.chunk
            buffer = [UInt8](repeating: 0, count: want)
            bufferStart = 0
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress!, want, off_t(offset))
            }
            if n < 0 {
                buffer.removeAll()
                if errno == EINTR { continue }
                throw ToolError(.ioErr, FileProblem.message(path, cannot: "read", errno: errno))
            }
            buffer.removeLast(want - n)
            if n == 0 || buffer.firstIndex(of: 0x0a) == nil && n < want {
                // A partial line may yet be cut (torn tail) and rewritten:
                // drop it and read it afresh next time.
                rewind(to: offset)
                return nil
            }
        }
    }

    /// Forgets buffered bytes, so the next read sees the file as it is now.
    public func rewind(to offset: Int64) {
        self.offset = offset
        buffer.removeAll(keepingCapacity: true)
        bufferStart = 0
    }

    /// `count` bytes at `at` (a block line, a transaction), exactly.
    /// Places come from an index, a file like any input: a negative one,
    /// or one past the end of the file and over a MiB (so worth an fstat),
    /// is refused before anything is allocated for it.
    public func read(at: Int64, count: Int) throws(ToolError) -> [UInt8] {
        guard at >= 0, count >= 0, count <= 1 << 20 || Int64(count) <= fileSize - at else {
            throw ToolError(.dataErr, "\(path): holds no \(count) bytes at byte \(at) (changed since it was indexed?)")
        }
        let (bytes, error) = FileReading.bytes(fd, count: count, at: off_t(at))
        if error != 0 { throw ToolError(.ioErr, FileProblem.message(path, cannot: "read", errno: error)) }
        guard let bytes else { throw ToolError(.dataErr, "\(path): ends before byte \(at + Int64(count)) (changed since it was indexed?)") }
        return bytes
    }
}
