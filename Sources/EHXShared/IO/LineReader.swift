#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file or stdin ("-") one line at a time with getline(3), so a line
/// of any length is read whole and memory stays bounded by the longest line.
public final class LineReader {
    public struct Line: Sendable {
        public let number: Int
        /// The line without its "\n".
        public let bytes: [UInt8]
        /// False only for a last line that has no "\n" (a torn write, or a
        /// file not made by ehx).
        public let terminated: Bool
    }

    /// How the input is named in messages: its path, or "stdin".
    public let name: String
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    private var lineNumber = 0

    public init(path: String) throws(ToolError) {
        if path == "-" {
            guard let f = fdopen(STDIN_FILENO, "rb") else { throw ToolError(.noInput, "stdin: cannot read") }
            file = f
            ownsFile = false
            name = "stdin"
            return
        }
        guard let f = fopen(path, "rb") else {
            let code = errno
            throw ToolError(code == EACCES || code == EPERM ? .noPerm : .noInput, FileProblem.message(path, cannot: "read", errno: code))
        }
        var info = stat()
        if fstat(fileno(f), &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            fclose(f)
            throw ToolError(.noInput, "\(path): is a directory")
        }
        file = f
        ownsFile = true
        name = path
    }

    deinit {
        free(buffer)
        if ownsFile { fclose(file) }
    }

    /// The next line, nil at end of input; throws on a read error.
    public func next() throws(ToolError) -> Line? {
        let count = getline(&buffer, &capacity, file)
        if count < 0 {
            if ferror(file) != 0 {
                let code = errno
                throw ToolError(.ioErr, FileProblem.message(name, cannot: "read", errno: code))
            }
            return nil
        }
        lineNumber += 1
        guard let buffer else { return nil }
        let raw = UnsafeRawBufferPointer(start: buffer, count: count)
        let terminated = count > 0 && raw[count - 1] == 0x0a
        return Line(number: lineNumber, bytes: Array(raw.prefix(terminated ? count - 1 : count)), terminated: terminated)
    }

    /// Up to `maxLines` lines (and about `maxBytes`), empty at end of input.
    /// Only the first line may wait for input: after it, lines are taken
    /// only while more can be read without blocking, so a live stream (a
    /// FIFO of sensor readings, `tail -f`) gets each line handled as soon as
    /// it arrives instead of waiting for a batch to fill.
    /// With `waiting: false` not even the first line waits: the batch is
    /// empty when nothing can be read at once (for reading ahead).
    public func nextBatch(maxLines: Int, maxBytes: Int, waiting: Bool = true) throws(ToolError) -> [Line] {
        var lines: [Line] = []
        var bytes = 0
        while lines.count < max(1, maxLines) && bytes < maxBytes {
            if (!lines.isEmpty || !waiting) && !canReadWithoutBlocking { break }
            guard let line = try next() else { break }
            bytes += line.bytes.count
            lines.append(line)
        }
        return lines
    }

    /// True when stdio already holds unread bytes or the descriptor has
    /// input (or end of file) ready; regular files always do.
    private var canReadWithoutBlocking: Bool {
        #if canImport(Glibc)
        // glibc's FILE exposes its read window; a filled buffer needs no read(2).
        if let pointer = file.pointee._IO_read_ptr, let end = file.pointee._IO_read_end, pointer < end { return true }
        #elseif canImport(Darwin)
        if file.pointee._r > 0 { return true }
        #endif
        var request = pollfd(fd: fileno(file), events: Int16(POLLIN), revents: 0)
        return poll(&request, 1, 0) > 0
    }
}
