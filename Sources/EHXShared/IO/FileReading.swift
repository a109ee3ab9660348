#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one positional read loop (the counterpart of `FileWriting`): a
/// short read or EINTR is handled the same wherever a file is read at an
/// offset (the chain at an indexed transaction, spool entries, the key
/// table's spill file).
public enum FileReading {
    /// Fills `bytes` from `offset` on: the number of bytes read (fewer only
    /// at end of file) and 0, or the bytes read so far and the errno of
    /// the read that failed.
    public static func read(_ fd: Int32, into bytes: UnsafeMutableRawBufferPointer, at offset: off_t) -> (count: Int, error: Int32) {
        guard let base = bytes.baseAddress else { return (0, 0) }
        var done = 0
        while done < bytes.count {
            let n = pread(fd, base + done, bytes.count - done, offset + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return (done, errno)
            }
            if n == 0 { break }
            done += n
        }
        return (done, 0)
    }

    /// `count` bytes from `offset`: nil, with the errno (0 at end of file),
    /// unless all of them were there.
    public static func bytes(_ fd: Int32, count: Int, at offset: off_t) -> (bytes: [UInt8]?, error: Int32) {
        var bytes = [UInt8](repeating: 0, count: count)
        let (done, error) = bytes.withUnsafeMutableBytes { read(fd, into: $0, at: offset) }
        return (error == 0 && done == count ? bytes : nil, error)
    }
}
