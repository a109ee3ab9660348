#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stream `ehx-query blobs --export` writes and `--import` reads, so a
/// store replicates over a pipe or ssh as blocks do: per blob one header
/// line `{"sha256":"<64 hex>","size":N}`, then exactly N bytes, then "\n".
/// The reader trusts nothing: each blob is hashed and compared with its
/// header before the store takes it.
public enum BlobStream {
    public static func write(_ digest: SHA256Digest, _ bytes: [UInt8], to output: LineWriter) throws(ToolError) {
        try output.write(["sha256": .string(digest.hex), "size": .number(Double(bytes.count))])
        try output.write(line: bytes)
    }

    /// Reads a stream from a file or stdin ("-").
    public final class Reader {
        public let name: String
        private let file: UnsafeMutablePointer<FILE>
        private let ownsFile: Bool
        private var count = 0

        public init(path: String) throws(ToolError) {
            if path == "-" {
                guard let f = fdopen(STDIN_FILENO, "rb") else { throw ToolError(.noInput, "stdin: cannot read") }
                (file, ownsFile, name) = (f, false, "stdin")
                return
            }
            guard let f = fopen(path, "rb") else {
                throw ToolError(.noInput, FileProblem.message(path, cannot: "read", errno: errno))
            }
            (file, ownsFile, name) = (f, true, path)
        }

        deinit { if ownsFile { fclose(file) } }

        /// The next blob, checked against its header; nil at the end.
        public func next() throws(ToolError) -> (digest: SHA256Digest, bytes: [UInt8])? {
            var buffer: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(buffer) }
            let n = getline(&buffer, &capacity, file)
            guard n > 0, let buffer else {
                if ferror(file) != 0 { throw ToolError(.ioErr, FileProblem.message(name, cannot: "read", errno: errno)) }
                return nil
            }
            count += 1
            let where_ = "\(name): blob \(count)"
            let raw = UnsafeRawBufferPointer(start: buffer, count: n)
            guard n <= 256, raw[n - 1] == 0x0a, let header = try? JSONValue.parse(Array(raw.prefix(n - 1))),
                  let hex = header["sha256"]?.stringValue, let digest = SHA256Digest(hex: hex),
                  let size = header["size"]?.integerValue, size >= 0, size <= Int64(BlobStore.maxBlobBytes) else {
                throw ToolError(.dataErr, "\(where_): not a blob header {\"sha256\":\"<64 hex>\",\"size\":N} (is this ehx-query blobs --export output?)")
            }
            var bytes = [UInt8](repeating: 0, count: Int(size) + 1)
            let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            guard got == bytes.count, bytes.last == 0x0a else {
                throw ToolError(.dataErr, "\(where_) (\(digest.hex)): truncated: \(max(0, got - 1)) of \(size) bytes")
            }
            bytes.removeLast()
            let actual = SHA256.hash(bytes)
            guard actual == digest else {
                throw ToolError(.dataErr, "\(where_): the bytes hash to \(actual.hex), not \(digest.hex); refusing it")
            }
            return (digest, bytes)
        }
    }
}
