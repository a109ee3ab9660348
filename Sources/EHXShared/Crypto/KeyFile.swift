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
        let key: Ed25519.PublicKey
        do {
            key = try Ed25519.PublicKey(pemRepresentation: pem)
        } catch {
            throw .malformed(path: path, detail: "not an Ed25519 public key PEM: \(error)")
        }
        if let weak = WeakKey.problem(with: key) { throw .malformed(path: path, detail: "\(WeakKey.rule): \(weak)") }
        return key
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
    /// contents, never a partial file, even across a crash (SafeDirectory's
    /// atomic replace: fresh temporary, fsync, rename, directory fsync).
    public static func writeSecretFileAtomically(path: String, contents: [UInt8]) throws(KeyFileError) {
        do throws(ToolError) {
            let (directory, name) = try SafeDirectory.containing(path)
            try directory.replace(name, mode: 0o600, contents: contents)
        } catch {
            throw .cannotCreate(path: path, reason: reason(error, path: path))
        }
    }

    /// A ToolError's text without the path it starts with.
    static func reason(_ error: ToolError, path: String) -> String {
        var text = error.description
        if text.hasPrefix(path + ": ") { text.removeFirst(path.count + 2) }
        if text.hasPrefix("cannot create: ") { text.removeFirst("cannot create: ".count) }
        return text
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
        if requirePrivate { try checkPrivate(status, path: path) }
        return try readAll(descriptor: descriptor, path: path)
    }

    /// A secret file must be its user's (or root's) and closed to group and
    /// others, as ssh wants of a private key: another owner could have
    /// swapped it, another reader could have copied it.
    static func checkPrivate(_ status: stat, path: String) throws(KeyFileError) {
        if UInt32(status.st_mode) & 0o077 != 0 {
            throw .insecurePermissions(path: path, mode: UInt32(status.st_mode) & 0o7777)
        }
        if status.st_uid != geteuid() && status.st_uid != 0 {
            throw .foreignOwner(path: path, uid: UInt32(status.st_uid))
        }
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

    /// O_EXCL|O_NOFOLLOW so an existing file (or a symlink planted at
    /// `path`) is never overwritten or followed; the mode is exactly `mode`
    /// whatever the umask. A half-written key file is removed: it would
    /// block a retry with .exists.
    static func createExclusively(path: String, mode: mode_t, contents: [UInt8]) throws(KeyFileError) {
        let directory: SafeDirectory, name: String
        do throws(ToolError) {
            (directory, name) = try SafeDirectory.containing(path, checkOwner: false)
        } catch {
            throw .cannotCreate(path: path, reason: reason(error, path: path))
        }
        if directory.status(name) != nil { throw .exists(path: path) }
        do throws(ToolError) {
            try directory.createFile(name, mode: mode, contents: contents)
        } catch {
            if directory.status(name) != nil, error.description.hasSuffix("already exists") { throw .exists(path: path) }
            throw .cannotCreate(path: path, reason: reason(error, path: path))
        }
    }

    static func errorText(_ code: Int32 = errno) -> String { FileProblem.reason(code) }
}
