import Foundation
#if canImport(Glibc)
import Glibc
#endif
import EHXTestSupport

/// What one run of a tool left behind.
struct ToolResult: CustomStringConvertible {
    let tool: String
    let status: Int32
    /// Killed by a signal (a crash, or our SIGKILL); `status` is then the signal number.
    let signaled: Bool
    let timedOut: Bool
    let stdout: Data
    let stderr: Data

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
    var outLines: [String] { out.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    var errLines: [String] { err.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    var description: String {
        let how = signaled ? "signal \(status)" : "exit \(status)"
        let e = err.count > 2000 ? String(err.prefix(2000)) + "…" : err
        return "\(tool): \(how)\(timedOut ? " (timed out)" : "")\nstderr: \(e)"
    }
}

/// Where a tool's stdin comes from.
enum ToolInput {
    case none
    case file(String)
    case data(Data)
}

struct ToolNotFound: Error, CustomStringConvertible {
    let description: String
}

/// Runs the built ehx executables as a user would: separate processes, real
/// files, exit statuses, stdout and stderr kept apart.
enum Tool {
    static let names = ["ehx-keygen", "ehx-ingest", "ehx-sign", "ehx-mine", "ehx-verify", "ehx-query"]

    /// The directory holding the executables: $EHX_BIN, else the build
    /// directory of the running test bundle (walking up until ehx-verify exists).
    static let binDirectory: URL? = {
        let fm = FileManager.default
        if let override = ProcessInfo.processInfo.environment["EHX_BIN"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        var starts: [URL] = [Bundle.main.bundleURL]
        if let exe = Bundle.main.executableURL { starts.append(exe) }
        if let arg0 = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: arg0)) }
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<6 {
                if fm.isExecutableFile(atPath: dir.appendingPathComponent("ehx-verify").path) { return dir }
                dir = dir.deletingLastPathComponent()
            }
        }
        for scratch in [".build-e2e", ".build"] {
            let dir = Package.root.appendingPathComponent(scratch).appendingPathComponent("debug")
            if fm.isExecutableFile(atPath: dir.appendingPathComponent("ehx-verify").path) { return dir }
        }
        return nil
    }()

    static func path(_ name: String) throws -> String {
        guard let dir = binDirectory else {
            throw ToolNotFound(description: "cannot find the ehx executables next to the test bundle; set EHX_BIN")
        }
        let path = dir.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ToolNotFound(description: "\(path) is not an executable; set EHX_BIN")
        }
        return path
    }

    /// Runs `name` (an ehx tool, or an absolute path) to completion or timeout.
    @discardableResult
    static func run(_ name: String, _ arguments: [String], stdin: ToolInput = .none,
                    directory: String? = nil, timeout: TimeInterval = 120) throws -> ToolResult {
        let running = try start(name, arguments, stdin: stdin, directory: directory)
        return running.wait(timeout: timeout)
    }

    /// Runs a /bin/sh command line with the tools' directory first on PATH.
    static func shell(_ command: String, directory: String? = nil, timeout: TimeInterval = 60) throws -> ToolResult {
        try run("/bin/sh", ["-c", command], directory: directory, timeout: timeout)
    }

    static func start(_ name: String, _ arguments: [String], stdin: ToolInput = .none,
                      directory: String? = nil) throws -> RunningTool {
        try RunningTool(executable: name.hasPrefix("/") ? name : try path(name), name: name,
                        arguments: arguments, stdin: stdin, directory: directory)
    }

    /// True when `command` is found on PATH (openssl, xxd).
    static func hasCommand(_ command: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(command)")
        }
    }
}

/// A started tool. Output goes to private temp files (not pipes), so a tool
/// that writes megabytes can never block on a full pipe.
final class RunningTool: @unchecked Sendable {
    let name: String
    let child: ChildProcess
    private let captureDir: URL

    init(executable: String, name: String, arguments: [String], stdin: ToolInput, directory: String?) throws {
        self.name = name
        let fm = FileManager.default
        captureDir = fm.temporaryDirectory.appendingPathComponent("ehx-e2e-run-\(UUID().uuidString)")
        try fm.createDirectory(at: captureDir, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        if let dir = Tool.binDirectory { env["PATH"] = dir.path + ":" + (env["PATH"] ?? "/usr/bin:/bin") }
        env["EHX_PASSPHRASE"] = nil
        env["EHX_CHAIN"] = nil
        let input: ChildProcess.Input
        switch stdin {
        case .none:
            input = .null
        case .file(let path):
            input = .file(path)
        case .data(let data):
            let url = captureDir.appendingPathComponent("stdin")
            try data.write(to: url)
            input = .file(url.path)
        }
        child = try ChildProcess(executable: executable, arguments: arguments, environment: env,
                                 directory: directory, input: input,
                                 output: .file(captureDir.appendingPathComponent("stdout").path),
                                 error: .file(captureDir.appendingPathComponent("stderr").path))
    }

    var pid: Int32 { child.pid }

    func kill(_ signal: Int32) {
        child.kill(signal)
    }

    func wait(timeout: TimeInterval = 120) -> ToolResult {
        var timedOut = false
        var ended = child.wait(timeout: timeout)
        if ended == nil {
            timedOut = true
            kill(SIGKILL)
            ended = child.waitUntilExit()
        }
        let out = (try? Data(contentsOf: captureDir.appendingPathComponent("stdout"))) ?? Data()
        let err = (try? Data(contentsOf: captureDir.appendingPathComponent("stderr"))) ?? Data()
        try? FileManager.default.removeItem(at: captureDir)
        return ToolResult(tool: name, status: ended?.status ?? -1, signaled: ended?.signaled ?? false,
                          timedOut: timedOut, stdout: out, stderr: err)
    }
}

/// Paths inside the package under test.
enum Package {
    /// Tests/EndToEndTests/Support/Tool.swift → package root.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let sampleReadings = root.appendingPathComponent("examples/readings.jsonl").path
    static let sampleDevices = root.appendingPathComponent("examples/devices.txt").path
}
