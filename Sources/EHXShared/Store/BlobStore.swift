#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A content-addressed directory of blobs (man ehx.7, ERASURE AND THE
/// STORE): `DIR/sha256/ab/cdef…` holds the bytes whose SHA-256 is
/// `abcdef…`, and `DIR/erased/ab/cdef…` is the tombstone an erasure leaves
/// (the erasing transaction's txid), so a blob once erased is never taken
/// in again from a peer that has not caught up.
///
/// - Written atomically through `SafeDirectory` (a fresh temporary, fsync,
///   rename, directory fsync) and never rewritten: a blob whose file is
///   already intact is left alone.
/// - Verified on every read: bytes whose hash is not their name are an
///   error naming the file, never returned.
/// - Shared by worker threads (`@unchecked Sendable`): it holds only
///   directory descriptors, and every change is one atomic rename or unlink.
/// - Erasure writes the tombstone first, then unlinks the blob, so a kill
///   between the two leaves a state the next sync finishes; both steps are
///   idempotent.
public final class BlobStore: @unchecked Sendable {
    /// The largest blob taken in (a firmware image or a sealed body).
    public static let maxBlobBytes = 256 << 20

    public let path: String
    private let root: SafeDirectory
    private let blobs: SafeDirectory
    private let tombstones: SafeDirectory

    /// What the store holds for a hash.
    public enum Lookup: Sendable {
        case present([UInt8])
        /// Erased by this transaction (its txid).
        case erased(SHA256Digest)
        case missing
    }

    /// Opens the store at `path`; with `create`, makes it (and its two
    /// subdirectories) when missing.
    public init(path: String, create: Bool) throws(ToolError) {
        self.path = path
        root = try SafeDirectory(path: path, create: create)
        blobs = try root.subdirectory("sha256", create: create)
        tombstones = try root.subdirectory("erased", create: create)
    }

    /// `DIR/sha256/ab/cdef…`, for messages.
    public func file(of digest: SHA256Digest) -> String {
        let hex = digest.hex
        return "\(path)/sha256/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    private static func split(_ digest: SHA256Digest) -> (String, String) {
        let hex = digest.hex
        return (String(hex.prefix(2)), String(hex.dropFirst(2)))
    }

    private func fanout(_ parent: SafeDirectory, _ name: String, create: Bool) throws(ToolError) -> SafeDirectory? {
        if !create && parent.status(name) == nil { return nil }
        let existed = parent.status(name) != nil
        let sub = try parent.subdirectory(name, create: create)
        // A new fan-out directory must itself survive a crash.
        if !existed { try parent.sync() }
        return sub
    }

    /// The erasure txid when `digest` was erased here.
    public func erasure(of digest: SHA256Digest) throws(ToolError) -> SHA256Digest? {
        let (dir, name) = Self.split(digest)
        guard let sub = try fanout(tombstones, dir, create: false), let fd = try sub.openRegularForReading(name) else { return nil }
        defer { close(fd) }
        let bytes = try Self.readAll(fd, limit: 200, shownAs: "\(path)/erased/\(dir)/\(name)")
        let text = String(decoding: bytes.prefix { $0 != 0x0a }, as: UTF8.self)
        // A tombstone that does not parse still says "erased".
        return SHA256Digest(hex: text) ?? .zero
    }

    /// Whether a file is at the blob's name (not read, not verified).
    public func hasFile(_ digest: SHA256Digest) -> Bool {
        let (dir, name) = Self.split(digest)
        guard let sub = try? fanout(blobs, dir, create: false) else { return false }
        return sub.status(name) != nil
    }

    /// The blob, checked against its name; an erased or missing one says so.
    /// A present file whose bytes do not hash to its name throws (exit 65).
    public func get(_ digest: SHA256Digest) throws(ToolError) -> Lookup {
        if let txid = try erasure(of: digest) { return .erased(txid) }
        let (dir, name) = Self.split(digest)
        guard let sub = try fanout(blobs, dir, create: false), let fd = try sub.openRegularForReading(name) else { return .missing }
        defer { close(fd) }
        let bytes = try Self.readAll(fd, limit: Self.maxBlobBytes, shownAs: file(of: digest))
        let actual = SHA256.hash(bytes)
        guard actual == digest else {
            throw ToolError(.dataErr, "\(file(of: digest)): corrupt blob: its bytes hash to \(actual.hex); refusing to use it")
        }
        return .present(bytes)
    }

    /// What `put` did.
    public enum Put: Sendable, Equatable {
        case added
        /// An intact copy was there already (nothing written).
        case kept
        /// A corrupt file at the name was replaced by these bytes.
        case repaired
        /// Refused: the blob was erased here (by this txid).
        case erased(SHA256Digest)
    }

    /// Stores `bytes` under their SHA-256, atomically; an intact blob is
    /// never rewritten and an erased one never comes back.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws(ToolError) -> (digest: SHA256Digest, result: Put) {
        guard bytes.count <= Self.maxBlobBytes else {
            throw ToolError(.dataErr, "\(path): a blob of \(bytes.count) bytes is over the \(Self.maxBlobBytes)-byte limit")
        }
        let digest = SHA256.hash(bytes)
        if let txid = try erasure(of: digest) { return (digest, .erased(txid)) }
        var repaired = false
        if hasFile(digest) {
            do {
                if case .present = try get(digest) { return (digest, .kept) }
            } catch {
                repaired = true
            }
        }
        let (dir, name) = Self.split(digest)
        guard let sub = try fanout(blobs, dir, create: true) else { throw ToolError(.cantCreate, "\(path): cannot make \(dir)") }
        try sub.replace(name, mode: 0o644, contents: bytes)
        return (digest, repaired ? .repaired : .added)
    }

    /// Erases `digest` on behalf of the erasure `txid`: the tombstone is
    /// written (atomically) before the blob is unlinked, and the directory
    /// is fsynced after. Returns whether a blob file was removed. Safe to
    /// repeat and to resume after a kill at any point.
    @discardableResult
    public func erase(_ digest: SHA256Digest, by txid: SHA256Digest) throws(ToolError) -> Bool {
        let (dir, name) = Self.split(digest)
        if try erasure(of: digest) == nil {
            guard let sub = try fanout(tombstones, dir, create: true) else { throw ToolError(.cantCreate, "\(path): cannot make erased/\(dir)") }
            try sub.replace(name, mode: 0o644, contents: Array("\(txid.hex)\n".utf8))
        }
        guard let sub = try fanout(blobs, dir, create: false), sub.status(name) != nil else { return false }
        try sub.remove(name)
        try sub.sync()
        return true
    }

    /// Every blob name in the store (not read, not verified), sorted.
    public func all() throws(ToolError) -> [SHA256Digest] {
        var out: [SHA256Digest] = []
        for dir in try blobs.names() where dir.utf8.count == 2 {
            guard let sub = try? blobs.subdirectory(dir, create: false) else { continue }
            for name in try sub.names() where name.utf8.count == 62 {
                if let digest = SHA256Digest(hex: dir + name) { out.append(digest) }
            }
        }
        return out.sorted { $0.hex < $1.hex }
    }

    /// Every tombstone: blob → erasure txid.
    public func erased() throws(ToolError) -> [SHA256Digest: SHA256Digest] {
        var out: [SHA256Digest: SHA256Digest] = [:]
        for dir in try tombstones.names() where dir.utf8.count == 2 {
            for name in try tombstones.subdirectory(dir, create: false).names() where name.utf8.count == 62 {
                if let digest = SHA256Digest(hex: dir + name), let txid = try erasure(of: digest) { out[digest] = txid }
            }
        }
        return out
    }

    /// Removes temporaries a killed write left behind (`.NAME.tmp-…`);
    /// they are never read as blobs. Returns how many went.
    @discardableResult
    public func removeTemporaries() throws(ToolError) -> Int {
        var removed = 0
        for parent in [blobs, tombstones] {
            for dir in try parent.names() where dir.utf8.count == 2 {
                guard let sub = try? parent.subdirectory(dir, create: false) else { continue }
                for name in try sub.names() where name.hasPrefix(".") && name.contains(".tmp-") {
                    try sub.remove(name)
                    removed += 1
                }
            }
        }
        return removed
    }

    static func readAll(_ fd: Int32, limit: Int, shownAs: String) throws(ToolError) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolError(.ioErr, "\(shownAs): read error: \(FileWriting.errorText(errno))")
            }
            if n == 0 { return out }
            out += buffer[0..<n]
            guard out.count <= limit else { throw ToolError(.dataErr, "\(shownAs): over the \(limit)-byte limit") }
        }
    }
}

extension BlobStore {
    /// Brings the store in line with a chain's erasures (`ChainState.erasures`):
    /// every named blob tombstoned and deleted, temporaries of killed writes
    /// removed. Idempotent; a kill at any point is finished by the next run.
    /// Returns how many blob files were deleted.
    @discardableResult
    public func follow(erasures: [SHA256Digest: SHA256Digest]) throws(ToolError) -> Int {
        try removeTemporaries()
        var removed = 0
        for (blob, txid) in erasures.sorted(by: { $0.key.hex < $1.key.hex }) where try erase(blob, by: txid) {
            removed += 1
        }
        return removed
    }
}

extension BlobStore {
    /// Stores the file at `path` (a firmware image, say): read whole, up to
    /// the blob limit, never through a FIFO or device.
    public func put(file path: String) throws(ToolError) -> (digest: SHA256Digest, result: Put, size: Int64) {
        let (directory, name) = try SafeDirectory.containing(path, checkOwner: false)
        guard let fd = try directory.openRegularForReading(name) else {
            throw ToolError(.noInput, "\(path): missing, a symbolic link, or not a regular file")
        }
        defer { close(fd) }
        let bytes = try Self.readAll(fd, limit: Self.maxBlobBytes, shownAs: path)
        let (digest, result) = try put(bytes)
        return (digest, result, Int64(bytes.count))
    }
}
