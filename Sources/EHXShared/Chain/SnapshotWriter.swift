/// Where a chain-state snapshot's bytes go: a file, a MiB at a time, or
/// memory (`ChainSnapshot.encoded`); SHA-256 follows them, so a snapshot
/// of 10^7 transactions is never whole in memory.
final class SnapshotWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let hash = SHA256Stream()
    /// The first write error (errno), 0 while none.
    private(set) var failure: Int32 = 0
    /// Everything written, in memory mode.
    private(set) var collected: [UInt8] = []
    /// The SHA-256 `finish` appended.
    private(set) var digest = SHA256Digest.zero

    /// Writes to `fd` (-1: collects in memory).
    init(fd: Int32 = -1) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        hash.update(bytes)
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { flush() }
    }

    func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write($0) } }

    func word(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { write($0) } }

    /// Appends the SHA-256 of everything written and flushes; returns the
    /// first error (errno) or 0.
    func finish() -> Int32 {
        digest = hash.finish()
        buffer += digest.bytes
        flush()
        return failure
    }

    private func flush() {
        if fd < 0 {
            collected += buffer
        } else if failure == 0 {
            failure = FileWriting.writeAll(fd, buffer)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
