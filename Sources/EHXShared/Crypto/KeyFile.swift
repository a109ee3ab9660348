#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing key and secret files with the permission rules of
/// DESIGN.md: private material is created 0600 and refused when group or
/// others have any access, as ssh does.
public enum KeyFile {
    /// Key and PSK files are tiny; the cap stops a mistaken path (a log, a
    /// device) from being slurped whole.
    static let maximumSize = 1 << 20

    public static func readPrivateKey(path: String, passphrase: [UInt8]?) throws(KeyFileError) -> Ed25519.PrivateKey {
        let pem = try text(of: try readFile(path: path, requirePrivate: true), path: path)
        do {
            return try Ed25519.PrivateKey(pemRepresentation: pem, passphrase: passphrase)
        } catch .wrongPassphrase {
            throw .wrongPassphrase(path: path)
        } catch .passphraseRequired {
            throw .passphraseRequired(path: path)
        } catch {
            throw .malformed(path: path, detail: "not an Ed25519 PKCS#8 private key: \(error)")
        }
    }

    public static func readPublicKey(path: String) throws(KeyFileError) -> Ed25519.PublicKey {
        let pem = try text(of: try readFile(path: path, requirePrivate: false), path: path)
        do {
            return try Ed25519.PublicKey(pemRepresentation: pem)
        } catch {
            throw .malformed(path: path, detail: "not an Ed25519 public key PEM: \(error)")
        }
    }

    public static func writePrivateKey(_ key: Ed25519.PrivateKey, path: String, passphrase: [UInt8]?) throws(KeyFileError) {
        let pem: String
        do {
            pem = try key.pemRepresentation(passphrase: passphrase)
        } catch {
            throw .cannotCreate(path: path, reason: "\(error)")
        }
        try createExclusively(path: path, mode: 0o600, contents: Array(pem.utf8))
    }

    public static func writePublicKey(_ key: Ed25519.PublicKey, path: String) throws(KeyFileError) {
        try createExclusively(path: path, mode: 0o644, contents: Array(key.pemRepresentation.utf8))
    }

    /// A file of secret bytes (a PSK): refused unless only the owner can access it.
    public static func readSecretFile(path: String) throws(KeyFileError) -> [UInt8] {
        try readFile(path: path, requirePrivate: true)
    }

    /// Replaces `path` so that a reader sees either the old or the new
    /// contents, never a partial file, even across a crash.
    public static func writeSecretFileAtomically(path: String, contents: [UInt8]) throws(KeyFileError) {
        let (directory, name) = split(path)
        let suffix: String
        do {
            suffix = Hex.encode(try SecureRandom.bytes(count: 8))
        } catch {
            throw .cannotCreate(path: path, reason: "\(error)")
        }
        // Same directory, so rename(2) stays within one filesystem and is atomic.
        let temporary = directory + ".\(name).tmp-\(suffix)"
        do throws(KeyFileError) {
            try createExclusively(path: temporary, mode: 0o600, contents: contents)
        } catch {
            // Report the caller's path; the temporary name means nothing to them.
            if case let .cannotCreate(_, reason) = error { throw .cannotCreate(path: path, reason: reason) }
            throw .cannotCreate(path: path, reason: "\(error)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = errorText()
            _ = unlink(temporary)
            throw .cannotCreate(path: path, reason: reason)
        }
        // The rename is only durable once the directory entry is on disk.
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw .cannotCreate(path: path, reason: errorText()) }
        defer { _ = close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw .cannotCreate(path: path, reason: errorText()) }
    }

    // MARK: - Plumbing

    static func readFile(path: String, requirePrivate: Bool) throws(KeyFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw .missing(path: path) }
            throw .unreadable(path: path, reason: errorText(code))
        }
        defer { _ = close(descriptor) }
        // fstat on the opened descriptor, so the checked file is the one read.
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(path: path, reason: errorText()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable(path: path, reason: "not a regular file")
        }
        if requirePrivate, UInt32(status.st_mode) & 0o077 != 0 {
            throw .insecurePermissions(path: path, mode: UInt32(status.st_mode) & 0o7777)
        }
        return try readAll(descriptor: descriptor, path: path)
    }

    /// Reads to end of file; also used for pipes (passphrase files).
    static func readAll(descriptor: Int32, path: String) throws(KeyFileError) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return contents }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: errorText())
            }
            contents.append(contentsOf: chunk[0..<count])
            if contents.count > maximumSize {
                throw .malformed(path: path, detail: "larger than \(maximumSize) bytes; not a key file")
            }
        }
    }

    private static func text(of bytes: [UInt8], path: String) throws(KeyFileError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .malformed(path: path, detail: "not a PEM text file")
        }
        return text
    }

    /// O_EXCL so an existing file (or a symlink planted at `path`) is never
    /// overwritten; fchmod because the umask may have narrowed or, for the
    /// public key, the caller wants exactly `mode`.
    static func createExclusively(path: String, mode: mode_t, contents: [UInt8]) throws(KeyFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw .exists(path: path) }
            throw .cannotCreate(path: path, reason: errorText(code))
        }
        var failure: String?
        if fchmod(descriptor, mode) != 0 {
            failure = errorText()
        } else if let reason = writeAll(descriptor: descriptor, bytes: contents) {
            failure = reason
        } else if fsync(descriptor) != 0 {
            failure = errorText()
        }
        if close(descriptor) != 0, failure == nil { failure = errorText() }
        if let failure {
            // A half-written key file is worse than none: it would block a retry with .exists.
            _ = unlink(path)
            throw .cannotCreate(path: path, reason: failure)
        }
    }

    /// nil on success, else the reason.
    private static func writeAll(descriptor: Int32, bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return errorText()
            }
            offset += written
        }
        return nil
    }

    /// The directory part keeps its trailing slash ("" for a bare name).
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let nameStart = path.index(after: slash)
        return (String(path[..<nameStart]), String(path[nameStart...]))
    }

    static func errorText(_ code: Int32 = errno) -> String { FileProblem.reason(code) }
}
