import Foundation

/// Starts a process under one lock for the whole test bundle. Foundation's
/// `Process.run()` on Linux is not safe to call from several threads at
/// once (seen here: a crash in its memcpy while two other threads were
/// inside `run()`), and the tests start tools from several threads: Swift
/// Testing runs suites in parallel, and the racing-writer tests start
/// their own threads.
public enum ProcessLaunch {
    private static let lock = NSLock()

    public static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        try process.run()
    }
}
