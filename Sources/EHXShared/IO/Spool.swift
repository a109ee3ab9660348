#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A maildir-style spool of transactions for a miner: each transaction is
/// one file, written under DIR/tmp, fsynced, then renamed into DIR/new, so a
/// reader of DIR/new never sees a partial file, even across a crash.
public struct Spool: Sendable {
    public let directory: String

    /// Uses DIR, making DIR, DIR/tmp and DIR/new (mode 0700) when missing.
    public init(directory: String) throws(ToolError) {
        self.directory = directory
        for path in [directory, directory + "/tmp", directory + "/new"] {
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw ToolError(.cantCreate, "\(path): cannot create spool directory: \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw ToolError(.cantCreate, "\(path): not a directory")
            }
        }
    }

    /// Delivers one transaction (its canonical line plus LF); returns the path in DIR/new.
    @discardableResult
    public func deliver(_ tx: Transaction) throws(ToolError) -> String {
        try deliver(line: tx.leaf)
    }

    @discardableResult
    public func deliver(line: [UInt8]) throws(ToolError) -> String {
        var random: [UInt8] = []
        do { random = try SecureRandom.bytes(count: 8) } catch { throw ToolError(.cantCreate, "\(directory): \(error)") }
        let name = "\(Timestamp.now().millisecondsSince1970).\(getpid()).\(Hex.encode(random)).tx"
        let temporary = directory + "/tmp/" + name
        let final = directory + "/new/" + name
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ToolError(.cantCreate, "\(temporary): cannot create: \(String(cString: strerror(errno)))")
        }
        let bytes = line + [0x0a]
        var offset = 0
        var failure: String?
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                break
            }
            offset += written
        }
        if failure == nil && fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        if close(descriptor) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temporary, final) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            _ = unlink(temporary)
            throw ToolError(.ioErr, "\(temporary): \(failure)")
        }
        // The rename is durable only once DIR/new itself is on disk.
        let dir = open(directory + "/new", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            defer { _ = close(dir) }
            if fsync(dir) != 0 { throw ToolError(.ioErr, "\(directory)/new: fsync failed: \(String(cString: strerror(errno)))") }
        }
        return final
    }
}
