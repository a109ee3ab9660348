import EHXShared
import EHXTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16, item 5: a replaced PSK must stop working in a gateway that is
/// already running, and a device holds its own key only.
@Suite struct EndToEndGatewayKeys {
    /// A reading for `device` MACed with `psk`, as the device sends it.
    static func maced(_ psk: String, device: String = "bed1", seq: Int) throws -> String {
        let raw = IngestE2E.raw(1, from: seq).replacingOccurrences(of: "\"bed1\"", with: "\"\(device)\"")
        let r = try Tool.run("ehx-sign", ["--psk", psk, "-q"], stdin: .data(Data(raw.utf8)))
        try #require(r.status == 0, "\(r)")
        return r.out
    }

    @Test func aReplacedKeyStopsWorkingInARunningGateway() throws {
        let dir = try Scratch("attack-psk-live")
        defer { dir.remove() }
        let p = dir.path
        try ChainFixture.check(Tool.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("gw.psk")]))
        try FileManager.default.copyItem(atPath: p("gw.psk"), toPath: p("stolen.psk"))
        _ = FileManager.default.createFile(atPath: p("out.jsonl"), contents: nil)
        let gateway = try ChildProcess(executable: try Tool.path("ehx-ingest"), arguments: ["--psk", p("gw.psk"), "--threads", "2"],
                                       input: .pipe, output: .file(p("out.jsonl")), error: .file(p("err.txt")))
        defer { gateway.kill(SIGKILL) }
        func accepted(_ n: Int) -> [String] {
            let deadline = Date().addingTimeInterval(30)
            var lines: [String] = []
            while Date() < deadline {
                lines = ((try? String(contentsOfFile: p("out.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                if lines.count >= n { break }
                usleep(20_000)
            }
            return lines
        }
        gateway.write(try Self.maced(p("stolen.psk"), seq: 1))
        try #require(accepted(1).count == 1, "the gateway did not accept the first reading")

        // The key leaked: the operator replaces it while the gateway runs.
        try ChainFixture.check(Tool.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("gw.psk"), "--replace"]))
        gateway.write(try Self.maced(p("stolen.psk"), seq: 2))
        gateway.write(try Self.maced(p("gw.psk"), seq: 3))
        gateway.closeInput()
        let ended = gateway.wait(timeout: 60)
        let out = accepted(2)
        let err = (try? String(contentsOfFile: p("err.txt"), encoding: .utf8)) ?? ""
        #expect(ended?.status == 65, "\(err)")
        #expect(!out.contains { $0.contains(#""seq":2"#) }, "a reading MACed with the replaced key was accepted: \(out)")
        #expect(out.contains { $0.contains(#""seq":3"#) }, "the new key is not in use: \(err)")
        #expect(err.contains("reloaded"), "\(err)")
    }

    @Test func aDeviceFileHoldsItsOwnKeyOnly() throws {
        let dir = try Scratch("attack-psk-export")
        defer { dir.remove() }
        let p = dir.path
        for device in ["bed1", "bed2"] {
            try ChainFixture.check(Tool.run("ehx-keygen", ["psk", "--device", device, "--psk", p("gw.psk")]))
        }
        let export = try Tool.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("gw.psk"), "--export", p("bed1.psk")])
        #expect(export.status == 0, "\(export)")
        #expect(try Files.mode(p("bed1.psk")) == 0o600)
        let devices = try #require(try JSONLine.object(Data(try Files.bytes(p("bed1.psk"))))["devices"] as? [String: Any])
        #expect(Array(devices.keys) == ["bed1"])
        // bed1's file MACs bed1's readings, which the gateway accepts...
        let own = try Tool.run("ehx-ingest", ["--psk", p("gw.psk")], stdin: .data(Data(try Self.maced(p("bed1.psk"), seq: 1).utf8)))
        #expect(own.status == 0, "\(own)")
        // ...and nobody else's: a captured bed1 cannot forge bed2.
        let forged = try Tool.run("ehx-sign", ["--psk", p("bed1.psk")],
                                  stdin: .data(Data(IngestE2E.raw(1).replacingOccurrences(of: "\"bed1\"", with: "\"bed2\"").utf8)))
        #expect(forged.status == 65, "\(forged)")
        // An export never overwrites.
        let again = try Tool.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("gw.psk"), "--export", p("bed1.psk")])
        #expect(again.status == 73, "\(again)")
    }

    /// Item 7: no parser context from a secret file reaches a message.
    @Test func aCorruptedPSKFileShowsNoKeyBytes() throws {
        let dir = try Scratch("attack-psk-corrupt")
        defer { dir.remove() }
        let p = dir.path
        try ChainFixture.check(Tool.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("gw.psk")]))
        var text = String(decoding: try Files.bytes(p("gw.psk")), as: UTF8.self)
        let key = try #require((try JSONLine.object(text)["devices"] as? [String: Any])?["bed1"] as? [String: Any])?["key"] as? String
        let keyText = try #require(key)
        // Drop the key's opening quote: the parser's "near '…'" would quote the key.
        text = text.replacingOccurrences(of: "\"" + keyText + "\"", with: keyText + "\"")
        try Files.write(p("gw.psk"), Array(text.utf8))
        try Files.chmod(p("gw.psk"), 0o600)
        for (tool, args) in [("ehx-ingest", ["--psk", p("gw.psk")]), ("ehx-sign", ["--psk", p("gw.psk")]),
                             ("ehx-keygen", ["psk", "--device", "bed2", "--psk", p("gw.psk")])] {
            let r = try Tool.run(tool, args, stdin: .data(Data(IngestE2E.raw(1).utf8)))
            #expect(r.status == 65, "\(tool): \(r)")
            for length in [8, 6] {
                for start in stride(from: 0, to: keyText.count - length, by: 4) {
                    let piece = String(keyText.dropFirst(start).prefix(length))
                    #expect(!r.err.contains(piece), "\(tool) showed key bytes: \(r.err)")
                }
            }
        }
    }
}
