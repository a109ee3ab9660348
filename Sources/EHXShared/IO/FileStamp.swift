#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which file this is and when its bytes or metadata last changed: device,
/// inode and status-change time (ctime). The kernel sets ctime on every
/// write, truncate or chmod and no system call sets it back, so a chain
/// file whose stamp is the one a snapshot recorded has not been written
/// since (see `LocalChain`). Anything else is a change to look into.
public struct FileStamp: Sendable, Equatable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    public var changeSeconds: Int64
    public var changeNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, changeSeconds: Int64, changeNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.changeSeconds = changeSeconds
        self.changeNanoseconds = changeNanoseconds
    }

    /// The stamp of an open file (nil when fstat fails).
    public init?(fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let change = info.st_ctimespec
        #else
        let change = info.st_ctim
        #endif
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                  changeSeconds: Int64(change.tv_sec), changeNanoseconds: Int64(change.tv_nsec))
    }

    public var description: String { "\(device):\(inode) ctime \(changeSeconds).\(changeNanoseconds)" }
}
