import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import EHXTestSupport

/// The tests start thousands of processes from parallel suites; these pin
/// down what made that flaky with Foundation's `Process`.
@Suite struct ChildProcessTests {
    /// A descriptor the test process holds (here deliberately inheritable)
    /// never reaches a child: a pipe's write end held by an unrelated child
    /// keeps its reader from ever seeing end of file.
    @Test func aChildGetsOnlyItsThreeStandardDescriptors() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let (ended, out) = try ChildProcess.output(of: "/bin/sh", ["-c", "ls /proc/$$/fd"])
        #expect(ended == .success)
        let fds = Set(String(decoding: out, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) })
        #expect(fds.isSuperset(of: [0, 1, 2]))
        #expect(!fds.contains(ends[0]) && !fds.contains(ends[1]), "child inherited \(fds.sorted())")
        #expect(fds.filter { $0 > 2 }.count <= 1, "only the directory ls reads may be open: \(fds.sorted())")
    }

    /// Running tools leaves no descriptor behind in the test process.
    /// Other suites run meanwhile, so a little slack is allowed; a leak of
    /// even one descriptor per run would exceed it.
    @Test func runningToolsLeaksNoDescriptors() throws {
        guard let before = ChildProcess.openDescriptorCount() else { return }
        for i in 0..<60 {
            let r = try Tool.run("ehx-keygen", ["--version"], stdin: i % 2 == 0 ? .none : .data(Data("x".utf8)))
            #expect(r.status == 0)
            let p = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "cat >/dev/null"], input: .pipe)
            p.write("hello\n")
            p.closeInput()
            #expect(p.waitUntilExit() == .success)
        }
        let after = try #require(ChildProcess.openDescriptorCount())
        #expect(after - before < 30, "open descriptors went from \(before) to \(after)")
    }

    /// A killed child is reported as signalled, with the signal's number.
    @Test func aKilledChildReportsItsSignal() throws {
        let p = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
        #expect(p.isRunning)
        p.kill(SIGKILL)
        #expect(p.waitUntilExit() == .init(status: SIGKILL, signaled: true))
        #expect(try ChildProcess.output(of: "/bin/sh", ["-c", "exit 75"]).0 == .init(status: 75, signaled: false))
    }
}
