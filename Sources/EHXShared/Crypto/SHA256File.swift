import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 and size of a file read in 1 MiB chunks (firmware images can be
/// larger than one wants in memory), with libcrypto's streaming digest.
public enum SHA256File {
    public static func digest(path: String) throws(ToolError) -> (digest: SHA256Digest, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ToolError(code == EACCES || code == EPERM ? .noPerm : .noInput, "\(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { throw ToolError(.noInput, "\(path): is a directory") }
        guard let ctx = EVP_MD_CTX_new() else { throw ToolError(.ioErr, "\(path): libcrypto: out of memory") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { throw ToolError(.ioErr, "\(path): libcrypto: SHA-256 init failed") }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolError(.ioErr, "\(path): read error: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            size += Int64(n)
            let ok = buffer.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, n) }
            guard ok == 1 else { throw ToolError(.ioErr, "\(path): libcrypto: SHA-256 update failed") }
        }
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        guard EVP_DigestFinal_ex(ctx, &out, nil) == 1 else { throw ToolError(.ioErr, "\(path): libcrypto: SHA-256 final failed") }
        return (SHA256Digest(unchecked: out), size)
    }
}
