import Foundation
import Testing
import EHXTestSupport

/// The tools in a live pipeline (sensors -> ehx-ingest -> ehx-sign -> spool)
/// hand on what they have done before they wait for more input, so nothing
/// sits in a buffer while the stream is quiet.
@Suite(.enabled(if: IngestE2E.bin != nil, "built tools not found (set EHX_BIN)"))
struct EndToEndLiveStream {
    @Test(arguments: [1, 2])
    func signWritesEachLineBeforeWaitingForTheNext(threads: Int) throws {
        let dir = try IngestE2E.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = { (name: String) in dir.appendingPathComponent(name).path }
        #expect(try IngestE2E.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("d.psk")]).status == 0)
        _ = FileManager.default.createFile(atPath: p("out.jsonl"), contents: nil)

        let sign = try ChildProcess(executable: try #require(IngestE2E.bin) + "/ehx-sign",
                                    arguments: ["-q", "--psk", p("d.psk"), "--threads", "\(threads)"],
                                    input: .pipe, output: .file(p("out.jsonl")))
        defer { sign.kill(SIGTERM) }
        sign.write(IngestE2E.raw(3))

        var out = ""
        let deadline = Date().addingTimeInterval(20)
        while IngestE2E.lines(out).count < 3 && Date() < deadline {
            usleep(20_000)
            out = (try? String(contentsOfFile: p("out.jsonl"), encoding: .utf8)) ?? ""
        }
        #expect(sign.isRunning, "ehx-sign should still be waiting for input")
        #expect(IngestE2E.lines(out).count == 3, "MACed readings held back while the input stayed open")
        #expect(IngestE2E.lines(out).allSatisfy { $0.contains(#""mac":""#) })
        sign.closeInput()
        #expect(sign.waitUntilExit() == .success)
    }
}
