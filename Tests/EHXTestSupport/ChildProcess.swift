import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, for the tests.
///
/// Foundation's `Process` on Linux crashed the test bundle inside `run()`
/// when several suites started tools at once, and it lets a child inherit
/// every descriptor the test process happened to have open at that moment
/// (a pipe's write end inherited by an unrelated child keeps a reader from
/// ever seeing end of file). Here the child gets exactly three descriptors:
/// everything from 3 up is closed in the child before `exec`, every
/// descriptor the parent opens is close-on-exec, and `posix_spawn` is safe
/// to call from any number of threads.
public final class ChildProcess: @unchecked Sendable {
    /// Where the child's standard input comes from.
    public enum Input {
        case null
        case file(String)
        /// A pipe the test writes with `write(_:)` and ends with `closeInput()`.
        case pipe
        /// A descriptor the caller owns (e.g. the read end of another pipe).
        case descriptor(Int32)
    }

    /// Where one of the child's output streams goes.
    public enum Output {
        case null
        /// Created or truncated, mode 0600.
        case file(String)
        /// Appended to, created when missing.
        case appending(String)
        case descriptor(Int32)
    }

    /// How the child ended.
    public struct Termination: Sendable, Equatable {
        /// The exit status, or the signal number when `signaled`.
        public let status: Int32
        public let signaled: Bool

        public init(status: Int32, signaled: Bool) {
            self.status = status
            self.signaled = signaled
        }

        public static let success = Termination(status: 0, signaled: false)
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    private var inputWriter: Int32 = -1
    private let lock = NSLock()
    private var ended: Termination?

    public init(executable: String, arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil, input: Input = .null, output: Output = .null,
                error: Output = .null) throws {
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        func open(_ path: String, _ flags: Int32) throws -> Int32 {
            let fd = Glibc.open(path, flags | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SpawnError(description: "\(path): \(String(cString: strerror(errno)))") }
            opened.append(fd)
            return fd
        }

        let stdinFD: Int32
        switch input {
        case .null: stdinFD = try open("/dev/null", O_RDONLY)
        case .file(let path): stdinFD = try open(path, O_RDONLY)
        case .descriptor(let fd): stdinFD = fd
        case .pipe:
            var ends: [Int32] = [-1, -1]
            // pipe2 is not declared without _GNU_SOURCE; a child spawned
            // between pipe and fcntl still closes both ends (closefrom).
            guard pipe(&ends) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
            for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            opened.append(ends[0])
            inputWriter = ends[1]
            stdinFD = ends[0]
        }
        func descriptor(_ output: Output) throws -> Int32 {
            switch output {
            case .null: return try open("/dev/null", O_WRONLY)
            case .file(let path): return try open(path, O_WRONLY | O_CREAT | O_TRUNC)
            case .appending(let path): return try open(path, O_WRONLY | O_CREAT | O_APPEND)
            case .descriptor(let fd): return fd
            }
        }
        let stdoutFD = try descriptor(output)
        let stderrFD = try descriptor(error)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto 0, 1 and 2 clears close-on-exec on the copies; a
        // descriptor already in place gets its flag cleared by hand below.
        for (fd, target) in [(stdinFD, Int32(0)), (stdoutFD, 1), (stderrFD, 2)] {
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        }
        if let directory {
            guard let chdir = SpawnExtensions.addchdir else {
                throw SpawnError(description: "posix_spawn_file_actions_addchdir_np is missing")
            }
            _ = directory.withCString { chdir(&actions, $0) }
        }
        if let closeFrom = SpawnExtensions.addclosefrom {
            _ = closeFrom(&actions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A test's own signal mask and ignored signals are not the tool's.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [executable] + arguments
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let status = withCStrings(argv) { argvPointers in
            withCStrings(env) { envPointers in
                posix_spawn(&child, executable, &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard status == 0 else {
            if inputWriter >= 0 { close(inputWriter) }
            throw SpawnError(description: "\(executable): \(String(cString: strerror(status)))")
        }
        pid = child
    }

    deinit {
        if inputWriter >= 0 { close(inputWriter) }
        // Never leave a zombie behind a test that forgot to wait.
        lock.lock()
        let reaped = ended != nil
        lock.unlock()
        if !reaped {
            kill(SIGKILL)
            _ = wait(timeout: nil)
        }
    }

    /// Writes to the child's standard input (`.pipe` only). A child that has
    /// exited makes this fail with EPIPE, which is ignored like Foundation's.
    public func write(_ data: Data) {
        guard inputWriter >= 0 else { return }
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(inputWriter, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    public func write(_ text: String) { write(Data(text.utf8)) }

    /// Ends the child's standard input (`.pipe` only).
    public func closeInput() {
        guard inputWriter >= 0 else { return }
        close(inputWriter)
        inputWriter = -1
    }

    public func kill(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if ended == nil { _ = Glibc.kill(pid, signal) }
    }

    public var isRunning: Bool { poll() == nil }

    /// Waits for the child; with a timeout, returns nil when it has not
    /// ended by then (the child is left running).
    @discardableResult
    public func wait(timeout: TimeInterval?) -> Termination? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var pause: useconds_t = 200
        while true {
            if let ended = poll() { return ended }
            if let deadline, Date() >= deadline { return nil }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// Waits for the child however long it takes.
    @discardableResult
    public func waitUntilExit() -> Termination {
        // wait(timeout: nil) only returns once the child has ended.
        wait(timeout: nil) ?? Termination(status: -1, signaled: false)
    }

    private func poll() -> Termination? {
        lock.lock()
        defer { lock.unlock() }
        if let ended { return ended }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == 0 { return nil }
        if r < 0 {
            if errno == EINTR { return nil }
            ended = Termination(status: -1, signaled: false)
            return ended
        }
        let signal = status & 0x7f
        ended = signal == 0 ? Termination(status: (status >> 8) & 0xff, signaled: false)
                            : Termination(status: signal, signaled: true)
        return ended
    }

    /// Runs a command to the end, returning its status and what it wrote to
    /// standard output (standard error is discarded).
    public static func output(of executable: String, _ arguments: [String],
                              input: Input = .null) throws -> (Termination, Data) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ehx-child-\(UUID().uuidString)").path
        defer { unlink(path) }
        let child = try ChildProcess(executable: executable, arguments: arguments, input: input, output: .file(path))
        let ended = child.waitUntilExit()
        return (ended, FileManager.default.contents(atPath: path) ?? Data())
    }

    /// The descriptors this process has open now (Linux: /proc/self/fd).
    public static func openDescriptorCount() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map { $0.count }
    }
}

/// glibc's GNU-only spawn file actions, looked up at run time: Swift's
/// Glibc module is built without _GNU_SOURCE, so they are not declared.
private enum SpawnExtensions {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let addchdir: AddChdir? = lookup("posix_spawn_file_actions_addchdir_np")
    static let addclosefrom: AddCloseFrom? = lookup("posix_spawn_file_actions_addclosefrom_np")

    private static func lookup<F>(_ name: String) -> F? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: F.self)
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
