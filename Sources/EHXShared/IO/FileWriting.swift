#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one write-all loop: every tool that writes a buffer to a descriptor
/// (spool entries, key files, alert lines, pages, chain appends) goes
/// through it, so a short write or EINTR is handled the same everywhere.
public enum FileWriting {
    /// 0, or the errno of the write that failed (EIO for a write of 0 bytes).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        loop(bytes) { base, count, _ in write(fd, base, count) }
    }

    /// As `writeAll`, at `offset` (pwrite), leaving the file offset alone.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: off_t) -> Int32 {
        loop(bytes) { base, count, done in pwrite(fd, base, count, offset + off_t(done)) }
    }

    /// Calls `step` with what is left (and how much is done) until all of
    /// `bytes` is written.
    private static func loop(_ bytes: UnsafeRawBufferPointer, _ step: (UnsafeRawPointer, Int, Int) -> Int) -> Int32 {
        guard let base = bytes.baseAddress else { return 0 }
        var done = 0
        while done < bytes.count {
            let n = step(base + done, bytes.count - done, done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            done += n
        }
        return 0
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    public static func errorText(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "error \(code)" }
        return String(cString: message)
    }
}
