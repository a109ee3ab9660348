#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The full 32-byte keys behind `KeyTable`'s fingerprints, in the order they
/// were added. The first `memoryLimit` stay in memory; past that they go to
/// an unlinked temporary file in `$TMPDIR` (as sort(1) spills), written in
/// 1 MiB runs and read back one key at a time, only when a fingerprint
/// matches. The file's pages live in the page cache, which the kernel can
/// reclaim, not in the process's own memory. When no file can be made the
/// keys stay in memory: exactness never depends on the disk.
///
/// Only the one owner of a `KeyTable` appends (see `ChainKeys`), so there
/// is no locking.
final class KeySpill: @unchecked Sendable {
    /// Keys held in memory before the first write to a file (4 MiB).
    static let defaultMemoryLimit = 1 << 17
    /// Keys gathered between writes once a file is in use (1 MiB).
    static let runLength = 1 << 15

    let memoryLimit: Int
    private let directory: String?
    /// Keys not (yet) in the file: the first ones, or the current run.
    private var tail: [TxidKey] = []
    private var fileCount = 0
    private var fd: Int32 = -1
    /// A file could not be made or written: keep everything in memory.
    private(set) var inMemoryOnly = false

    /// - Parameters:
    ///   - directory: where the file goes (nil: `$TMPDIR`, else /tmp).
    init(memoryLimit: Int = KeySpill.defaultMemoryLimit, directory: String? = nil) {
        self.memoryLimit = max(1, memoryLimit)
        self.directory = directory
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    var count: Int { fileCount + tail.count }

    /// Whether keys went to a file (tests, the bench's report).
    var usesFile: Bool { fd >= 0 }

    /// Adds a key and returns its index.
    @discardableResult
    func append(_ key: TxidKey) -> Int {
        tail.append(key)
        if !inMemoryOnly && tail.count >= (fd >= 0 ? Self.runLength : memoryLimit) { writeTail() }
        return count - 1
    }

    /// The key at `index` (less than `count`).
    func key(at index: Int) -> TxidKey {
        if index >= fileCount { return tail[index - fileCount] }
        var key = TxidKey.zero
        let done = withUnsafeMutableBytes(of: &key) { buffer in
            readFully(buffer, at: off_t(index) * 32)
        }
        // The file is this process's own, unlinked: it cannot be changed or
        // cut behind our back, so a failed read is the machine failing (as
        // running out of memory is), not a fact about the chain.
        precondition(done, "ehx: cannot read back the txid spill file in \(spillDirectory): \(String(cString: strerror(errno)))")
        return key
    }

    /// Every key in order, a run at a time (snapshots).
    func forEachRun(_ body: (UnsafeRawBufferPointer) -> Void) {
        var buffer = [UInt8](repeating: 0, count: Self.runLength * 32)
        var at = 0
        while at < fileCount {
            let n = min(Self.runLength, fileCount - at)
            let done = buffer.withUnsafeMutableBytes { readFully(UnsafeMutableRawBufferPointer(rebasing: $0[..<(n * 32)]), at: off_t(at) * 32) }
            precondition(done, "ehx: cannot read back the txid spill file in \(spillDirectory): \(String(cString: strerror(errno)))")
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<(n * 32)])) }
            at += n
        }
        tail.withUnsafeBytes { body($0) }
    }

    private var spillDirectory: String {
        if let directory { return directory }
        if let env = getenv("TMPDIR"), env.pointee != 0 { return String(cString: env) }
        return "/tmp"
    }

    private func writeTail() {
        if fd < 0 {
            var template = Array((spillDirectory + "/ehx-keys.XXXXXX").utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard made >= 0 else { inMemoryOnly = true; return }
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            _ = fcntl(made, F_SETFD, FD_CLOEXEC)
            fd = made
        }
        let written = tail.withUnsafeBytes { writeFully($0, at: off_t(fileCount) * 32) }
        guard written else {
            // A full disk: what is in the file stays readable; the rest, and
            // everything after, stays in memory.
            inMemoryOnly = true
            return
        }
        fileCount += tail.count
        tail.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer, at offset: off_t) -> Bool {
        FileWriting.writeAll(fd, bytes, at: offset) == 0
    }

    private func readFully(_ bytes: UnsafeMutableRawBufferPointer, at offset: off_t) -> Bool {
        let (count, error) = FileReading.read(fd, into: bytes, at: offset)
        return error == 0 && count == bytes.count
    }
}
