#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by SIGHUP; the next reading reloads the PSK file whatever its stat says.
nonisolated(unsafe) private var pskReloadRequested: sig_atomic_t = 0

private func requestPSKReload(_ signal: Int32) {
    pskReloadRequested = 1
}

/// Keeps a running gateway's device keys those of its PSK file (issue 16,
/// item 5). After `ehx-keygen psk --replace` (or `--rotate`, or a device
/// removed) the file is renamed into place; the gateway checks, before it
/// judges each batch of input (each reading, on a live stream), whether
/// the file changed (device, inode, size, modification or change time) or
/// a SIGHUP asked for a reload, and then reads it again: a replaced key
/// stops working from the next reading, a rotated one keeps its grace
/// window as the file records it.
///
/// A file that changed and can no longer be read stops the gateway: going
/// on with the old keys is exactly what a replace was meant to end.
public final class PSKWatcher {
    public let path: String
    private var seen: [Int64]

    /// Call before loading the file, so a change made while it loads is
    /// noticed at the first check.
    public init(path: String) {
        self.path = path
        seen = Self.signature(path)
    }

    /// Makes SIGHUP request a reload instead of ending the process.
    public static func installHangupHandler() {
        pskReloadRequested = 0
        signal(SIGHUP, requestPSKReload)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The file's keys when it changed (or SIGHUP came) since the last
    /// load; nil when it did not.
    public func reloadIfChanged() throws(KeyFileError) -> PSKFile? {
        let now = Self.signature(path)
        guard now != seen || pskReloadRequested != 0 else { return nil }
        pskReloadRequested = 0
        seen = now
        return try PSKFile.load(path: path)
    }

    private static func signature(_ path: String) -> [Int64] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [Int64(info.st_dev), Int64(info.st_ino), Int64(info.st_size),
                Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec),
                Int64(info.st_ctim.tv_sec), Int64(info.st_ctim.tv_nsec)]
    }
}
