#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a key passphrase comes from. Never a command-line argument: those
/// are visible to every user through /proc and `ps`.
public enum Passphrase {
    public static let environmentVariable = "EHX_PASSPHRASE"

    /// From --passphrase-file (first line, without trailing newline) or else the EHX_PASSPHRASE environment variable; nil when neither.
    /// The file may be a pipe (`--passphrase-file <(pass show ehx)`); a
    /// regular file is held to the rules of a private key (0600, the user's
    /// or root's). An empty environment variable counts as
    /// unset; an empty first line in a file is an error, since the user
    /// clearly meant to give one.
    public static func load(file: String?) throws(KeyFileError) -> [UInt8]? {
        if let file {
            let descriptor = open(file, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                let code = errno
                if code == ENOENT { throw .missing(path: file) }
                throw .unreadable(path: file, reason: KeyFile.errorText(code))
            }
            defer { _ = close(descriptor) }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw .unreadable(path: file, reason: KeyFile.errorText()) }
            if status.st_mode & S_IFMT == S_IFREG { try KeyFile.checkPrivate(status, path: file) }
            let contents = try KeyFile.readAll(descriptor: descriptor, path: file)
            var line = Array(contents.prefix(while: { $0 != UInt8(ascii: "\n") }))
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            guard !line.isEmpty else { throw .malformed(path: file, detail: "the passphrase file's first line is empty") }
            return line
        }
        guard let value = getenv(environmentVariable) else { return nil }
        let bytes = Array(String(cString: value).utf8)
        return bytes.isEmpty ? nil : bytes
    }
}
