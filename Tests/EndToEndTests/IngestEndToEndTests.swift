import EHXShared
import Foundation
import Testing
import EHXTestSupport

/// Runs of the built ehx-ingest (and friends): binaries next to the test
/// bundle, or in $EHX_BIN.
enum IngestE2E {
    static let bin: String? = {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["EHX_BIN"] { candidates.append(env) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
        for c in candidates {
            var dir = URL(fileURLWithPath: c)
            for _ in 0..<4 {
                if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("ehx-ingest").path) { return dir.path }
                dir.deleteLastPathComponent()
            }
        }
        return nil
    }()

    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ tool: String, _ args: [String], stdin: String? = nil) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-ingest-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("out").path, errPath = scratch.appendingPathComponent("err").path
        let inPath = scratch.appendingPathComponent("in").path
        _ = FileManager.default.createFile(atPath: inPath, contents: Data((stdin ?? "").utf8))
        let p = try ChildProcess(executable: try #require(bin) + "/" + tool, arguments: args,
                                 input: .file(inPath), output: .file(outPath), error: .file(errPath))
        let ended = p.waitUntilExit()
        return Result(status: ended.signaled ? 128 + ended.status : ended.status,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-ingest-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    /// n raw readings for device bed1 (heart rate 70-72), one per second from `start`.
    static func raw(_ n: Int, from seq: Int = 1, start: String = "2026-11-26T10:00:00.000Z") -> String {
        let t0 = Timestamp(rfc3339: start)!.millisecondsSince1970
        return (0..<n).map { i in
            let ts = Timestamp(millisecondsSince1970: t0 + Int64(i) * 1000)
            return #"{"device":"bed1","patient":"P-1","seq":\#(seq + i),"ts":"\#(ts)","kind":"heart_rate","value":\#(70 + i % 3),"unit":"/min"}"#
        }.joined(separator: "\n") + "\n"
    }
}

@Suite(.enabled(if: IngestE2E.bin != nil, "built tools not found (set EHX_BIN)"))
struct EndToEndIngestTests {
    @Test func replayAcrossTwoRunsWithAStateFileAndAlertsSignedFromTheStream() throws {
        let dir = try IngestE2E.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = { (name: String) in dir.appendingPathComponent(name).path }
        #expect(try IngestE2E.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("d.psk")]).status == 0)
        #expect(try IngestE2E.run("ehx-keygen", ["key", "--role", "gateway", "-o", p("gw")]).status == 0)
        var raw = IngestE2E.raw(5)
        raw += #"{"device":"bed1","patient":"P-1","seq":6,"ts":"2026-11-26T10:00:06.000Z","kind":"heart_rate","value":135,"unit":"/min"}"# + "\n"
        let signed = try IngestE2E.run("ehx-sign", ["--psk", p("d.psk")], stdin: raw)
        try signed.stdout.write(toFile: p("r.jsonl"), atomically: true, encoding: .utf8)
        let args = ["--psk", p("d.psk"), "--state", p("state.json"), "--now", "2026-11-26T10:05:00Z", "--alerts", p("alerts.jsonl")]

        let first = try IngestE2E.run("ehx-ingest", args + [p("r.jsonl")])
        #expect(first.status == 0)
        let out = IngestE2E.lines(first.stdout)
        #expect(out.count == 7) // 6 readings + 1 alert envelope
        #expect(out.last?.hasPrefix(#"{"body":{"#) == true && out.last?.hasSuffix(#""type":"alert"}"#) == true)
        #expect(IngestE2E.lines(try String(contentsOfFile: p("alerts.jsonl"), encoding: .utf8)).count == 1)
        // Readings and the alert envelope sign in one go.
        let txs = try IngestE2E.run("ehx-sign", ["--key", p("gw.key")], stdin: first.stdout)
        #expect(txs.status == 0)
        #expect(IngestE2E.lines(txs.stdout).filter { $0.contains(#""type":"alert""#) }.count == 1)

        let second = try IngestE2E.run("ehx-ingest", args + ["--rejects", p("rej.jsonl"), p("r.jsonl")])
        #expect(second.status == 65)
        #expect(second.stdout.isEmpty)
        #expect(second.stderr.contains("replay: 6"))
        let rejects = IngestE2E.lines(try String(contentsOfFile: p("rej.jsonl"), encoding: .utf8))
        #expect(rejects.count == 6 && rejects.allSatisfy { $0.contains("replay") && $0.contains(#""raw":"#) })

        // A concurrent run on the same state file is refused (75), not raced.
        let lock = open(p("state.json.lock"), O_RDWR)
        #expect(flock(lock, LOCK_EX) == 0)
        #expect(try IngestE2E.run("ehx-ingest", args + [p("r.jsonl")]).status == 75)
        close(lock)
    }

    /// A monitor tails --alerts while sensors keep the pipe open: an alert
    /// must land as soon as its reading arrives, though the workers read
    /// ahead of the ordered half when input is waiting; and the readings
    /// judged so far must reach standard output (ehx-sign downstream)
    /// before ehx-ingest waits for more.
    @Test(arguments: [1, 2])
    func anAlertLandsWhileTheInputStaysOpen(threads: Int) throws {
        let dir = try IngestE2E.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = { (name: String) in dir.appendingPathComponent(name).path }
        #expect(try IngestE2E.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("d.psk")]).status == 0)
        var raw = IngestE2E.raw(3)
        raw += #"{"device":"bed1","patient":"P-1","seq":4,"ts":"2026-11-26T10:00:04.000Z","kind":"heart_rate","value":135,"unit":"/min"}"# + "\n"
        let signed = try IngestE2E.run("ehx-sign", ["--psk", p("d.psk")], stdin: raw)
        #expect(signed.status == 0)
        _ = FileManager.default.createFile(atPath: p("alerts.jsonl"), contents: nil)

        let ingest = try ChildProcess(
            executable: try #require(IngestE2E.bin) + "/ehx-ingest",
            arguments: ["-q", "--psk", p("d.psk"), "--now", "2026-11-26T10:05:00Z", "--threads", "\(threads)", "--alerts", p("alerts.jsonl")],
            input: .pipe, output: .file(p("out.jsonl")))
        defer { ingest.kill(SIGTERM) }
        ingest.write(signed.stdout)

        var alerts = "", out = ""
        let deadline = Date().addingTimeInterval(20)
        while (alerts.isEmpty || IngestE2E.lines(out).count < 5) && Date() < deadline {
            usleep(20_000)
            alerts = (try? String(contentsOfFile: p("alerts.jsonl"), encoding: .utf8)) ?? ""
            out = (try? String(contentsOfFile: p("out.jsonl"), encoding: .utf8)) ?? ""
        }
        #expect(ingest.isRunning, "ehx-ingest should still be waiting for input")
        #expect(alerts.contains(#""patient":"P-1""#), "no alert while the input stayed open")
        // Four readings and the alert's envelope.
        #expect(IngestE2E.lines(out).count == 5, "judged readings held back while the input stayed open")
        ingest.closeInput()
        #expect(ingest.waitUntilExit() == .success)
    }

    @Test func rotateKeepsTheOldKeyForTheGraceWindow() throws {
        let dir = try IngestE2E.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = { (name: String) in dir.appendingPathComponent(name).path }
        _ = try IngestE2E.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("d.psk")])
        let oldMACed = try IngestE2E.run("ehx-sign", ["--psk", p("d.psk")], stdin: IngestE2E.raw(2)).stdout
        let rotated = try IngestE2E.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("d.psk"), "--rotate", "--grace", "1h"])
        #expect(rotated.status == 0 && rotated.stdout.contains("previous_until"))
        #expect(!rotated.stdout.contains(try String(contentsOfFile: p("d.psk"), encoding: .utf8).prefix(40)))
        let now = Timestamp.now()
        let newMACed = try IngestE2E.run("ehx-sign", ["--psk", p("d.psk")], stdin: IngestE2E.raw(1, from: 3, start: now.description)).stdout
        let ok = try IngestE2E.run("ehx-ingest", ["--psk", p("d.psk"), "-"], stdin: oldMACed + newMACed)
        #expect(ok.status == 0, "\(ok.stderr)")
        let later = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + 2 * 3_600_000)
        let expired = try IngestE2E.run("ehx-ingest", ["--psk", p("d.psk"), "--now", later.description, "-"], stdin: oldMACed)
        #expect(expired.status == 65 && expired.stderr.contains("mac: 2"))
    }

    @Test func fhirAndCSVInputs() throws {
        let dir = try IngestE2E.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"1"}},{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/1"},"effectiveDateTime":"2026-11-26T10:00:00Z","valueQuantity":{"value":72,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"}}}]}"#
        let fhir = try IngestE2E.run("ehx-ingest", ["--from", "fhir", "--device", "ehr", "-"], stdin: bundle)
        #expect(fhir.status == 0, "\(fhir.stderr)")
        #expect(fhir.stdout.contains(#""patient":"1""#) && fhir.stderr.contains("1 non-Observation"))
        if let path = SharedPath.fhir {
            let hr = try IngestE2E.run("ehx-ingest", ["--from", "fhir", "--device", "ehr", path + "/observation-example-heart-rate.json"])
            #expect(hr.status == 0 && hr.stdout.contains(#""value":44"#))
        }
        let csv = "time,HR,SpO2,RESP\n2026-11-26T10:00:00,72,97,16\n2026-11-26T10:01:00,0,96,bad\n"
        let r = try IngestE2E.run("ehx-ingest", ["--from", "csv", "--device", "mon", "--patient", "P", "-"], stdin: csv)
        #expect(r.status == 65)
        #expect(IngestE2E.lines(r.stdout).count == 3 && r.stderr.contains("stdin:3"))
    }

    /// The clinical path through the built tool: a scenario of the suite
    /// (carried in Tests/Scenarios) and, when ../shared is here, the real
    /// MIMIC-II recording: zeros are recorded as absent, the lone heart rate
    /// of 11.5 in the leads-off period alerts marked as an artefact, and the
    /// 14 respirations of 8.1-8.4 /min alert as charted (8: score 3).
    @Test func monitorExportsThroughTheClinicalRules() throws {
        let scenario = Package.root.appendingPathComponent("Tests/Scenarios/leads-off.csv").path
        let r = try IngestE2E.run("ehx-ingest", ["--from", "csv", "--now", "2026-11-28T00:00:00Z", "--alerts", "-", scenario])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try IngestE2E.lines(r.stdout).map { try JSONValue.parse(Array($0.utf8)) }
        #expect(out.filter { $0["absent"] != nil && $0["value"] == .null }.count == 59)
        let alerts = out.compactMap { $0["type"] == "alert" ? $0["body"] : nil }
        #expect(alerts.contains { $0["value"] == 11.5 && $0["artefact"] == true })
        #expect(r.stderr.contains("\"artefact\":true"))
        #expect(alerts.allSatisfy { $0["partial"]?.boolValue != nil })

        guard let data = SharedPath.data else { return }
        let real = try IngestE2E.run("ehx-ingest", ["--from", "csv", "--device", "mimic2", "--patient", "s00001", "--now", "2896-10-12T00:00:00Z",
                                                    "-q", data + "/s00001-2896-10-10-00-31n.csv"])
        #expect(real.status == 0, "\(real.stderr)")
        let lines = try IngestE2E.lines(real.stdout).map { try JSONValue.parse(Array($0.utf8)) }
        let bodies = lines.compactMap { $0["type"] == "alert" ? $0["body"] : nil }
        let lone = bodies.first { $0["kind"] == "heart_rate" && $0["value"] == 11.5 }
        #expect(lone?["artefact"] == true, "\(lone?.canonicalString ?? "no alert for 11.5")")
        let bradypnoea = bodies.filter { b in
            b["kind"] == "resp_rate" && (b["value"]?.numberValue).map { $0 >= 8.1 && $0 < 8.5 } == true
                && b["rules"]?.arrayValue?.contains { $0["rule"] == "news2" && $0["score"] == 3 } == true
        }
        #expect(bradypnoea.count == 14)
        #expect(bodies.allSatisfy { $0["partial"] == true }) // no temperature, ACVPU or oxygen in the record
    }

    /// kill -9 during long runs: the state file is always a whole state file
    /// (the old one or a checkpoint), never torn.
    @Test func aKilledRunLeavesTheOldOrTheNewStateFile() throws {
        let dir = try IngestE2E.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = { (name: String) in dir.appendingPathComponent(name).path }
        _ = try IngestE2E.run("ehx-keygen", ["psk", "--device", "bed1", "--psk", p("d.psk")])
        let n = 60_000
        let signed = try IngestE2E.run("ehx-sign", ["--psk", p("d.psk")], stdin: IngestE2E.raw(n, start: "2026-11-25T00:00:00.000Z"))
        try signed.stdout.write(toFile: p("r.jsonl"), atomically: true, encoding: .utf8)
        var lastSeq = -1
        for round in 0..<4 {
            let proc = try ChildProcess(executable: try #require(IngestE2E.bin) + "/ehx-ingest",
                                        arguments: ["-q", "--psk", p("d.psk"), "--state", p("state.json"), p("r.jsonl")])
            usleep(UInt32(300_000 + round * 400_000))
            proc.kill(SIGKILL)
            proc.waitUntilExit()
            guard let data = FileManager.default.contents(atPath: p("state.json")) else { continue } // killed before the first checkpoint
            let state = try IngestState(parsing: try JSONValue.parse(Array(data)))
            let seq = Int(state.devices["bed1"]?.seq ?? -1)
            #expect(seq >= lastSeq && seq <= n)
            lastSeq = seq
        }
        // Whatever was checkpointed, a full run finishes the rest.
        let finish = try IngestE2E.run("ehx-ingest", ["-q", "--psk", p("d.psk"), "--state", p("state.json"), p("r.jsonl")])
        #expect(finish.status == 0 || finish.status == 65)
        let state = try IngestState(parsing: try JSONValue.parse(Array(FileManager.default.contents(atPath: p("state.json"))!)))
        #expect(state.devices["bed1"]?.seq == Int64(n))
    }
}

enum SharedPath {
    static let data: String? = {
        let root = ProcessInfo.processInfo.environment["EHX_SHARED_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared").path
        let path = root + "/data"
        return FileManager.default.fileExists(atPath: path + "/s00001-2896-10-10-00-31n.csv") ? path : nil
    }()

    static let fhir: String? = {
        let root = ProcessInfo.processInfo.environment["EHX_SHARED_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared").path
        let path = root + "/fhir-examples"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()
}
