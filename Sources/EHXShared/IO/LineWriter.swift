#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered JSON-lines output to stdout ("-") or a file opened for append, so
/// earlier runs' records are never overwritten. The file is opened through
/// its directory without following a link (see SafeDirectory), so a link
/// planted at `--rejects FILE` cannot aim the records at another file.
/// Write errors surface as 74.
public final class LineWriter {
    public let name: String
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool

    public init(path: String) throws(ToolError) {
        if path == "-" {
            guard let f = fdopen(STDOUT_FILENO, "wb") else { throw ToolError(.ioErr, "stdout: cannot write") }
            file = f
            ownsFile = false
            name = "stdout"
            return
        }
        let (directory, fileName) = try SafeDirectory.containing(path)
        let fd = try directory.openForAppend(fileName, mode: 0o666)
        guard let f = fdopen(fd, "ab") else {
            let code = errno
            _ = Glibc.close(fd)
            throw ToolError(.cantCreate, FileProblem.message(path, cannot: "write", errno: code))
        }
        file = f
        ownsFile = true
        name = path
    }

    deinit {
        if ownsFile { fclose(file) }
    }

    public func write(line bytes: [UInt8]) throws(ToolError) {
        let ok = bytes.withUnsafeBytes { raw in
            (raw.count == 0 || Self.write(raw.baseAddress, raw.count, file) == raw.count) && Self.put(0x0a, file) != EOF
        }
        if !ok { throw ToolError(.ioErr, FileProblem.message(name, cannot: "write", errno: errno)) }
    }

    /// Bytes that already hold whole lines, each with its newline (a
    /// worker's output from `RecordPipeline`'s lane).
    public func write(lines bytes: UnsafeRawBufferPointer) throws(ToolError) {
        guard bytes.count > 0 else { return }
        if Self.write(bytes.baseAddress, bytes.count, file) != bytes.count {
            throw ToolError(.ioErr, FileProblem.message(name, cannot: "write", errno: errno))
        }
    }

    // A LineWriter is not Sendable, so only one thread ever uses its FILE:
    // the stream's lock, taken twice per line, buys nothing.
    #if canImport(Glibc)
    private static func write(_ bytes: UnsafeRawPointer?, _ count: Int, _ file: UnsafeMutablePointer<FILE>) -> Int {
        fwrite_unlocked(bytes, 1, count, file)
    }
    private static func put(_ byte: Int32, _ file: UnsafeMutablePointer<FILE>) -> Int32 { fputc_unlocked(byte, file) }
    #else
    private static func write(_ bytes: UnsafeRawPointer?, _ count: Int, _ file: UnsafeMutablePointer<FILE>) -> Int {
        fwrite(bytes, 1, count, file)
    }
    private static func put(_ byte: Int32, _ file: UnsafeMutablePointer<FILE>) -> Int32 { putc_unlocked(byte, file) }
    #endif

    public func write(_ value: JSONValue) throws(ToolError) {
        try write(line: value.canonicalBytes())
    }

    public func write(text: String) throws(ToolError) {
        try write(line: Array(text.utf8))
    }

    /// Hands what is buffered to the kernel (no fsync), for a reader on
    /// the other end of a pipe while the input is quiet.
    public func flush() throws(ToolError) {
        if fflush(file) != 0 { throw ToolError(.ioErr, FileProblem.message(name, cannot: "write", errno: errno)) }
    }

    /// Flushes and, for files, fsyncs: alerts and rejects must survive a crash
    /// as surely as the records they explain.
    public func close() throws(ToolError) {
        if fflush(file) != 0 { throw ToolError(.ioErr, FileProblem.message(name, cannot: "write", errno: errno)) }
        if ownsFile && fsync(fileno(file)) != 0 {
            throw ToolError(.ioErr, FileProblem.message(name, cannot: "fsync", errno: errno))
        }
    }
}
