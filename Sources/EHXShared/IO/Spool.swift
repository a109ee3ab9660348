#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A maildir-style spool of transactions between `ehx-sign --spool` and
/// `ehx-mine --spool` (`man ehx.7`, SPOOL). One transaction per file. A
/// writer creates `tmp/NAME`, writes and fsyncs it, renames it to `new/NAME`
/// and fsyncs `new/`, so `new/` only ever holds whole, durable files and any
/// number of writers can work at once. The miner retires an entry (unlinks
/// it) only after its transaction is durably on the chain, and moves an
/// invalid one to `rejected/NAME` beside `rejected/NAME.reason`.
///
/// NAME is `SECONDS.MICROSECONDS.PID.COUNTER.TXID16`: the writer's clock
/// (never going backwards within one process), its pid, a per-process
/// counter and the first 16 hex digits of the txid. Entries are taken in
/// the numeric order of the first four fields, so one writer's transactions
/// reach the chain in the order it wrote them.
public final class Spool {
    public let path: String
    private var lastMicros: UInt64 = 0
    private var counter: UInt64 = 0
    private let pid = UInt64(getpid())
    // Every file in the spool is reached through these descriptors, never
    // by a path a spool writer could have redirected (see SafeDirectory).
    private let root: SafeDirectory
    private let new: SafeDirectory
    private let tmp: SafeDirectory?
    private var rejected: SafeDirectory?

    /// Opens the spool. `create` makes DIR, DIR/tmp and DIR/new (mode 0755)
    /// when missing (a writer); otherwise DIR/new must exist (a miner).
    /// A subdirectory that is a link, or any of them owned by another user
    /// (unless allowed), is refused.
    public init(path: String, create: Bool) throws(ToolError) {
        self.path = path
        root = try SafeDirectory(path: path, create: create)
        if create {
            tmp = try root.subdirectory("tmp", create: true)
            new = try root.subdirectory("new", create: true)
        } else {
            do {
                new = try root.subdirectory("new", create: false)
            } catch where error.exitStatus == .noInput {
                throw ToolError(.noInput, "\(path): not a spool (no \(path)/new directory)")
            }
            tmp = root.status("tmp") == nil ? nil : try root.subdirectory("tmp", create: false)
        }
    }

    // MARK: - Writing (ehx-sign --spool)

    /// Writes `bytes` as a new entry; returns its name once it is durably in new/.
    @discardableResult
    public func deposit(_ bytes: [UInt8], txid: SHA256Digest) throws(ToolError) -> String {
        guard let tmp else { throw ToolError(.cantCreate, "\(path)/tmp: missing") }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let micros = max(UInt64(max(0, now.tv_sec)) * 1_000_000 + UInt64(max(0, now.tv_nsec)) / 1000, lastMicros)
        lastMicros = micros
        counter += 1
        let micro = String(micros % 1_000_000)
        let name = "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - micro.count))\(micro).\(pid).\(counter).\(txid.hex.prefix(16))"
        try tmp.createFile(name, mode: 0o644, contents: bytes)
        guard renameat(tmp.fd, name, new.fd, name) == 0 else {
            let code = errno
            try? tmp.remove(name)
            throw ToolError(.ioErr, "\(path)/new/\(name): rename failed: \(FileWriting.errorText(code))")
        }
        try new.sync()
        return name
    }

    // MARK: - Reading (ehx-mine --spool)

    public struct Entry: Sendable, Comparable {
        public let name: String
        /// (seconds, microseconds, pid, counter); names of another shape sort last, by name.
        let key: [UInt64]

        init(name: String) {
            self.name = name
            let fields = name.split(separator: ".", omittingEmptySubsequences: false).prefix(4).map { UInt64($0) }
            key = fields.count == 4 && fields.allSatisfy({ $0 != nil }) ? fields.map { $0! } : [.max]
        }

        public static func < (a: Entry, b: Entry) -> Bool {
            a.key != b.key ? a.key.lexicographicallyPrecedes(b.key) : a.name < b.name
        }
    }

    /// The entries in new/, oldest first. Hidden names (".…") are ignored.
    public func entries() throws(ToolError) -> [Entry] {
        try new.names().filter { !$0.hasPrefix(".") }.map(Entry.init).sorted()
    }

    public enum Content: Sendable {
        case bytes([UInt8])
        /// The entry is larger than the limit; it was not read.
        case tooLong(Int)
        /// Gone (retired by someone else) or not a regular file.
        case missing
    }

    /// An entry's bytes, unless it is larger than `maxBytes`.
    public func read(_ entry: Entry, maxBytes: Int) throws(ToolError) -> Content {
        let file = path + "/new/" + entry.name
        // A link or a FIFO planted in new/ is no entry: never followed, never waited on.
        guard let fd = try new.openRegularForReading(entry.name) else { return .missing }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .missing }
        let size = Int(info.st_size)
        if size > maxBytes { return .tooLong(size) }
        var bytes = [UInt8](repeating: 0, count: size)
        let (done, error) = bytes.withUnsafeMutableBytes { FileReading.read(fd, into: $0, at: 0) }
        if error != 0 { throw ToolError(.ioErr, "\(file): read error: \(FileWriting.errorText(error))") }
        return .bytes(Array(bytes.prefix(done)))
    }

    /// Unlinks entries whose transactions are durably on the chain, then
    /// syncs new/ so they stay gone.
    public func retire(_ names: [String]) throws(ToolError) {
        guard !names.isEmpty else { return }
        for name in names { try new.remove(name) }
        try new.sync()
    }

    /// Moves an entry to rejected/NAME with rejected/NAME.reason (one line,
    /// input echoed in it escaped). The reason is written first, so a kill
    /// between the two steps leaves the entry in new/ to be judged again;
    /// a reason file left by such a run (or planted: a link) is replaced.
    public func reject(_ name: String, reason: String) throws(ToolError) {
        if rejected == nil { rejected = try root.subdirectory("rejected", create: true) }
        guard let rejected else { return }
        let reasonName = name + ".reason"
        try rejected.remove(reasonName)
        try rejected.createFile(reasonName, mode: 0o644, contents: Array((EchoedText.line(reason) + "\n").utf8), sync: false)
        try new.move(name, to: rejected, as: name)
        try rejected.sync()
        try new.sync()
    }

    /// Removes files left in tmp/ by writers killed mid-write, once they are
    /// older than `seconds` (maildir's 36 hours); returns how many.
    @discardableResult
    public func cleanTemporary(olderThan seconds: Int) -> Int {
        guard let tmp, let names = try? tmp.names() else { return 0 }
        let cutoff = time(nil) - seconds
        var removed = 0
        for name in names {
            if let info = tmp.status(name), info.st_mode & S_IFMT == S_IFREG, info.st_mtim.tv_sec < cutoff,
               (try? tmp.remove(name)) != nil {
                removed += 1
            }
        }
        return removed
    }
}
