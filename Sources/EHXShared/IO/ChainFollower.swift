#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by SIGINT/SIGTERM while following; checked between polls.
nonisolated(unsafe) private var followStopRequested: sig_atomic_t = 0

private func requestFollowStop(_ signal: Int32) {
    followStopRequested = 1
}

/// `ehx-query txs --follow`: reads every block in the chain, then keeps
/// polling the file's size and reads the whole lines appended since, like
/// `tail -f`. The miner appends whole lines with one write and fsync, and
/// may cut a torn tail left by a crash; a line without its newline is never
/// read (see `ChainCursor`). When the path is replaced by another file the
/// follower re-opens it and carries on from the same block height, after
/// checking that the new file still holds the blocks already shown.
public struct ChainFollower {
    public let path: String
    /// Seconds between polls of the file size.
    public let interval: Double

    public init(path: String, interval: Double = 0.2) {
        self.path = path
        self.interval = interval
    }

    /// Installs the SIGINT/SIGTERM handlers that stop `run` cleanly.
    public static func installStopHandlers() {
        followStopRequested = 0
        signal(SIGINT, requestFollowStop)
        signal(SIGTERM, requestFollowStop)
        signal(SIGPIPE, SIG_IGN)
        // A parent may have spawned us with these blocked (or ignored).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    public static var stopRequested: Bool { followStopRequested != 0 }

    /// Calls `block` for each block in order, then for each new one, until a
    /// stop signal; `idle` runs after each poll that found the block(s)
    /// appended so far (flush output there).
    public func run(_ block: (Block) throws(ToolError) -> Void, idle: () throws(ToolError) -> Void) throws(ToolError) {
        var cursor = try ChainCursor(path: path)
        var identity = cursor.identity
        var nextHeight: Int64 = 0
        var lastHash: SHA256Digest?
        while !Self.stopRequested {
            var any = false
            while let (offset, bytes) = try cursor.next() {
                let parsed: Block
                do { parsed = try BlockLine.parse(bytes) } catch {
                    throw ToolError(.dataErr, "\(path): block at byte \(offset): \(error)")
                }
                guard parsed.height == nextHeight, lastHash == nil || parsed.header.prev == lastHash else {
                    throw ToolError(.dataErr, "\(path): block \(parsed.height) at byte \(offset) does not follow block \(nextHeight - 1)")
                }
                try block(parsed)
                nextHeight += 1
                lastHash = parsed.claimedHash
                any = true
                if Self.stopRequested { break }
            }
            if any { try idle() }
            if Self.stopRequested { break }
            var pause = timespec(tv_sec: Int(interval), tv_nsec: Int((interval - Double(Int(interval))) * 1e9))
            _ = nanosleep(&pause, nil) // a signal ends the sleep early
            // The path may now name another file (a restore, a rename into place).
            var info = stat()
            if stat(path, &info) == 0, (UInt64(info.st_dev), UInt64(info.st_ino)) != identity {
                let reopened = try ChainCursor(path: path)
                cursor = reopened
                identity = reopened.identity
                nextHeight = 0
                let seen = lastHash
                lastHash = nil
                // Replay silently up to the block already shown.
                var matched = seen == nil
                while !matched, let (_, bytes) = try cursor.next() {
                    guard let b = try? BlockLine.parse(bytes) else { break }
                    nextHeight = b.height + 1
                    lastHash = b.claimedHash
                    if b.claimedHash == seen { matched = true }
                }
                if !matched {
                    throw ToolError(.dataErr, "\(path): replaced by a chain that does not hold the blocks already shown")
                }
            } else if cursor.fileSize >= 0 && cursor.fileSize < cursor.offset {
                throw ToolError(.dataErr, "\(path): cut below blocks already shown (\(cursor.fileSize) bytes < \(cursor.offset))")
            }
        }
    }
}
