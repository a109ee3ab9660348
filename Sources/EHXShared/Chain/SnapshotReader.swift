#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A chain-state snapshot's bytes as its decoder takes them: from memory,
/// or from the file a MiB at a time, so loading the state of 10^7
/// transactions holds the state, not the file.
final class SnapshotReader {
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Bytes taken so far.
    private(set) var offset = 0
    /// Bytes that may be taken (the file without its checksum).
    let limit: Int

    /// Reads `bytes[..<limit]`.
    init(bytes: [UInt8], limit: Int) {
        fd = -1
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 8)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        buffer = copy
        end = bytes.count
        self.limit = limit
    }

    /// Reads the open file `fd` from its start, up to `limit` bytes.
    init(fd: Int32, limit: Int) {
        self.fd = fd
        buffer = .allocate(byteCount: 1 << 20, alignment: 8)
        self.limit = limit
    }

    deinit { buffer.deallocate() }

    /// The next `count` bytes; valid until the next call.
    func take(_ count: Int) throws(ChainSnapshotError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= limit - offset else { throw .format("cut short") }
        if end - start < count { try fill(count) }
        defer { start += count; offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)])
    }

    /// The next `count` bytes, copied (they outlive the reader).
    func bytes(_ count: Int) throws(ChainSnapshotError) -> [UInt8] {
        Array(try take(count))
    }

    func word() throws(ChainSnapshotError) -> UInt64 {
        UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self))
    }

    private func fill(_ count: Int) throws(ChainSnapshotError) {
        guard fd >= 0 else { throw .format("cut short") }
        let kept = end - start
        if count > buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
            bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
            buffer.deallocate()
            buffer = bigger
        } else if kept > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: kept)
        }
        start = 0
        end = kept
        while end < count {
            let n = read(fd, buffer.baseAddress! + end, buffer.count - end)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .format(n == 0 ? "cut short" : "unreadable: \(String(cString: strerror(errno)))") }
            end += n
        }
    }
}
