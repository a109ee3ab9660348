#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A directory a tool writes into, held open so every file in it is reached
/// relative to its descriptor (openat, renameat, unlinkat) and never through
/// a symbolic link. Someone who can write the directory (the signers'
/// account, for a spool) can plant a link where ehx will create a file, or
/// replace a subdirectory by a link, between two calls that name it by path;
/// a miner run from root's crontab would then write, rename or delete
/// wherever the link points (`man ehx.7`, THREAT MODEL). So:
///
/// - the directory the operator names is opened as given (links in that
///   path are the operator's own), and every subdirectory below it with
///   O_NOFOLLOW;
/// - a new file is created with O_CREAT|O_EXCL|O_NOFOLLOW, so it is always a
///   fresh inode of ours; a file appended to is opened O_NOFOLLOW and must
///   be a regular file with one link, a FIFO or a device;
/// - a directory owned by anyone but this user or root is refused (exit 77)
///   unless the operator said so (`--allow-foreign-owner`), because its
///   owner can swap anything in it.
public final class SafeDirectory {
    public let path: String
    public let fd: Int32

    /// Opens (with `create`, makes) the directory at `path`.
    public init(path: String, create: Bool = false, mode: mode_t = 0o755, checkOwner: Bool = true) throws(ToolError) {
        if create && mkdir(path, mode) != 0 && errno != EEXIST {
            throw ToolError(.cantCreate, "\(path): cannot create directory: \(FileWriting.errorText(errno))")
        }
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ToolError(code == ENOENT ? .noInput : code == EACCES ? .noPerm : .cantCreate,
                            "\(path.isEmpty ? "." : path): cannot open directory: \(FileWriting.errorText(code))")
        }
        self.fd = fd
        self.path = path
        if checkOwner { try Self.checkOwner(fd: fd, path: path) }
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// The directory holding `filePath` and the file's name in it.
    public static func containing(_ filePath: String, checkOwner: Bool = true) throws(ToolError) -> (directory: SafeDirectory, name: String) {
        let (dir, name) = split(filePath)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw ToolError(.cantCreate, "\(filePath): not a file name")
        }
        return (try SafeDirectory(path: dir, checkOwner: checkOwner), name)
    }

    /// `filePath` as this directory's path and a name; "" for a bare name.
    static func split(_ filePath: String) -> (String, String) {
        guard let slash = filePath.lastIndex(of: "/") else { return ("", filePath) }
        let dir = String(filePath[..<slash])
        return (dir.isEmpty ? "/" : dir, String(filePath[filePath.index(after: slash)...]))
    }

    /// `name` inside this directory, as messages show it.
    public func display(_ name: String) -> String {
        path.isEmpty ? name : path.hasSuffix("/") ? path + name : path + "/" + name
    }

    // MARK: - Owners

    private static let foreignOwnersAllowed = Atomic<Bool>(false)

    /// `--allow-foreign-owner`: the operator trusts the accounts that own
    /// the directories this run writes into. Set once, before any work.
    public static func allowForeignOwners() { foreignOwnersAllowed.store(true, ordering: .relaxed) }

    static func acceptableOwner(_ uid: uid_t) -> Bool {
        uid == geteuid() || uid == 0 || foreignOwnersAllowed.load(ordering: .relaxed)
    }

    private static func checkOwner(fd: Int32, path: String) throws(ToolError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ToolError(.ioErr, "\(path): cannot stat: \(FileWriting.errorText(errno))")
        }
        guard acceptableOwner(info.st_uid) else {
            throw ToolError(.noPerm, "\(path.isEmpty ? "." : path): owned by uid \(info.st_uid), not by this user (uid \(geteuid())) or root: its owner could swap the files written there; give --allow-foreign-owner if that account is trusted")
        }
    }

    // MARK: - Subdirectories

    /// The subdirectory `name`, never through a link; made with `create`.
    public func subdirectory(_ name: String, create: Bool, mode: mode_t = 0o755) throws(ToolError) -> SafeDirectory {
        if create && mkdirat(fd, name, mode) != 0 && errno != EEXIST {
            throw ToolError(.cantCreate, "\(display(name)): cannot create directory: \(FileWriting.errorText(errno))")
        }
        let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else {
            let code = errno
            if code == ELOOP || code == ENOTDIR, isSymlink(name) {
                throw ToolError(.noPerm, "\(display(name)): is a symbolic link; refusing to follow it")
            }
            throw ToolError(code == ENOENT ? .noInput : .cantCreate, "\(display(name)): cannot open directory: \(FileWriting.errorText(code))")
        }
        let directory = SafeDirectory(fd: sub, path: display(name))
        try Self.checkOwner(fd: sub, path: directory.path)
        return directory
    }

    func isSymlink(_ name: String) -> Bool {
        var info = stat()
        return fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    // MARK: - Files

    /// Creates `name`, which must not exist (not even as a link), with
    /// exactly `mode` whatever the umask, writes `contents` and (with `sync`)
    /// fsyncs it. A file that could not be written whole is removed.
    public func createFile(_ name: String, mode: mode_t, contents: [UInt8], sync: Bool = true) throws(ToolError) {
        try createFile(name, mode: mode, contents: contents, sync: sync, shownAs: name)
    }

    private func createFile(_ name: String, mode: mode_t, contents: [UInt8], sync: Bool, shownAs: String) throws(ToolError) {
        try createFile(name, mode: mode, sync: sync, shownAs: shownAs) { FileWriting.writeAll($0, contents) }
    }

    /// As `createFile`, the contents written by `write` (which returns the
    /// errno of its first failed write, or 0).
    private func createFile(_ name: String, mode: mode_t, sync: Bool, shownAs: String, write: (Int32) -> Int32) throws(ToolError) {
        let file = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard file >= 0 else {
            let code = errno
            throw ToolError(code == EACCES ? .noPerm : .cantCreate,
                            "\(display(shownAs)): cannot create: \(code == EEXIST ? "already exists" : FileWriting.errorText(code))")
        }
        var failure: Int32 = 0
        if fchmod(file, mode) != 0 { failure = errno }
        if failure == 0 { failure = write(file) }
        if failure == 0 && sync && fsync(file) != 0 { failure = errno }
        if close(file) != 0 && failure == 0 { failure = errno }
        if failure != 0 {
            unlinkat(fd, name, 0)
            throw ToolError(.ioErr, "\(display(shownAs)): write failed: \(FileWriting.errorText(failure))")
        }
    }

    /// Replaces `name` atomically: a fresh temporary file beside it (O_EXCL,
    /// random name), written and fsynced, renamed over `name`, and the
    /// directory fsynced. rename(2) replaces a link planted at `name`
    /// itself; it never writes through it.
    ///
    /// A name that is a character device (only root makes one) or a FIFO
    /// of the caller's own (`-o /dev/null`, `-o /dev/stdout`, a pipe) is
    /// written into, never replaced: renaming over /dev/null as root would
    /// turn it into a file. Any other kind of file is refused.
    public func replace(_ name: String, mode: mode_t, contents: [UInt8]) throws(ToolError) {
        if let info = status(name), info.st_mode & S_IFMT != S_IFREG, info.st_mode & S_IFMT != S_IFLNK {
            return try writeInto(name, info: info, contents: contents)
        }
        try renameIntoPlace(name) { (temporary) throws(ToolError) in
            try createFile(temporary, mode: mode, contents: contents, sync: true, shownAs: name)
        }
    }

    /// As `replace(_:mode:contents:)` for a regular file, the contents
    /// streamed by `write` into the temporary file (which returns the errno
    /// of its first failed write, or 0): a large file is never whole in
    /// memory (the chain-state snapshot).
    public func replace(_ name: String, mode: mode_t, writing write: (Int32) -> Int32) throws(ToolError) {
        if let info = status(name), info.st_mode & S_IFMT != S_IFREG, info.st_mode & S_IFMT != S_IFLNK {
            throw ToolError(.cantCreate, "\(display(name)): is not a regular file; refusing to replace it")
        }
        try renameIntoPlace(name) { (temporary) throws(ToolError) in
            try createFile(temporary, mode: mode, sync: true, shownAs: name, write: write)
        }
    }

    /// A temporary file beside `name`, made whole and synced by `create`,
    /// then renamed over it and the directory synced.
    private func renameIntoPlace(_ name: String, create: (String) throws(ToolError) -> Void) throws(ToolError) {
        let suffix: String
        do { suffix = Hex.encode(try SecureRandom.bytes(count: 8)) } catch {
            throw ToolError(.cantCreate, "\(display(name)): \(error)")
        }
        let temporary = ".\(name).tmp-\(suffix)"
        try create(temporary)
        guard renameat(fd, temporary, fd, name) == 0 else {
            let code = errno
            unlinkat(fd, temporary, 0)
            throw ToolError(.cantCreate, "\(display(name)): cannot rename into place: \(FileWriting.errorText(code))")
        }
        try sync()
    }

    /// Writes `contents` into an existing device or FIFO (see `replace`).
    private func writeInto(_ name: String, info: stat, contents: [UInt8]) throws(ToolError) {
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFCHR || (kind == S_IFIFO && info.st_uid == geteuid()) else {
            throw ToolError(.cantCreate, "\(display(name)): is not a regular file, a device or a FIFO of this user's; refusing to write to it")
        }
        let file = openat(fd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard file >= 0 else {
            throw ToolError(.cantCreate, "\(display(name)): cannot open for writing: \(FileWriting.errorText(errno))")
        }
        let failure = FileWriting.writeAll(file, contents)
        close(file)
        if failure != 0 {
            throw ToolError(.ioErr, "\(display(name)): write failed: \(FileWriting.errorText(failure))")
        }
    }

    /// Opens `name` for appending, creating it (with `mode`, under the
    /// umask) when missing. A link is refused; so is a regular file with a
    /// second hard link, or one owned by another user. A FIFO blocks here
    /// until its reader opens it.
    public func openForAppend(_ name: String, mode: mode_t) throws(ToolError) -> Int32 {
        let file = openat(fd, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode)
        guard file >= 0 else {
            let code = errno
            if code == ELOOP, isSymlink(name) {
                throw ToolError(.cantCreate, "\(display(name)): is a symbolic link; refusing to write through it")
            }
            throw ToolError(code == EACCES ? .noPerm : .cantCreate, "\(display(name)): cannot open for writing: \(FileWriting.errorText(code))")
        }
        var info = stat()
        guard fstat(file, &info) == 0 else {
            let code = errno
            close(file)
            throw ToolError(.ioErr, "\(display(name)): cannot stat: \(FileWriting.errorText(code))")
        }
        let type = info.st_mode & S_IFMT
        var refusal: String?
        if type == S_IFREG {
            if info.st_nlink != 1 { refusal = "has \(info.st_nlink) hard links; refusing to append to it" }
            else if !Self.acceptableOwner(info.st_uid) { refusal = "owned by uid \(info.st_uid), not by this user; refusing to append to it (--allow-foreign-owner to accept)" }
        } else if type != S_IFIFO && type != S_IFCHR {
            refusal = "not a regular file, FIFO or device"
        }
        if let refusal {
            close(file)
            throw ToolError(.cantCreate, "\(display(name)): \(refusal)")
        }
        return file
    }

    /// A lock file: opened read-write, created 0600 when missing, never
    /// through a link (O_CREAT through a dangling link would create its target).
    public func openLockFile(_ name: String) throws(ToolError) -> Int32 {
        let file = openat(fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard file >= 0 else {
            let code = errno
            if code == ELOOP, isSymlink(name) {
                throw ToolError(.cantCreate, "\(display(name)): is a symbolic link; refusing to follow it")
            }
            throw ToolError(.cantCreate, "\(display(name)): cannot open: \(FileWriting.errorText(code))")
        }
        var info = stat()
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(file)
            throw ToolError(.cantCreate, "\(display(name)): not a regular file")
        }
        return file
    }

    /// `name` opened for reading without following a link and without
    /// blocking on a FIFO; nil when it is missing, a link or not a regular file.
    public func openRegularForReading(_ name: String) throws(ToolError) -> Int32? {
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else {
            if errno == ENOENT || errno == ELOOP || errno == ENXIO { return nil }
            throw ToolError(.ioErr, "\(display(name)): \(FileWriting.errorText(errno))")
        }
        var info = stat()
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(file)
            return nil
        }
        return file
    }

    /// Moves `name` to `other` as `newName` (renameat: a link is moved as
    /// a link, never followed). A missing `name` is not an error.
    public func move(_ name: String, to other: SafeDirectory, as newName: String) throws(ToolError) {
        guard renameat(fd, name, other.fd, newName) == 0 || errno == ENOENT else {
            throw ToolError(.ioErr, "\(display(name)): cannot move to \(other.display(newName)): \(FileWriting.errorText(errno))")
        }
    }

    /// Unlinks `name` (a link itself, never its target); missing is fine.
    public func remove(_ name: String) throws(ToolError) {
        guard unlinkat(fd, name, 0) == 0 || errno == ENOENT else {
            throw ToolError(.ioErr, "\(display(name)): cannot remove: \(FileWriting.errorText(errno))")
        }
    }

    /// lstat of `name`; nil when it is missing.
    public func status(_ name: String) -> stat? {
        var info = stat()
        return fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    public func sync() throws(ToolError) {
        if fsync(fd) != 0 { throw ToolError(.ioErr, "\(path): fsync failed: \(FileWriting.errorText(errno))") }
    }

    /// The names in the directory, without "." and "..".
    public func names() throws(ToolError) -> [String] {
        let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let handle = fdopendir(copy) else {
            let code = errno
            if copy >= 0 { close(copy) }
            throw ToolError(.ioErr, "\(path): cannot list: \(FileWriting.errorText(code))")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
