import Foundation
import Testing
import EHXShared

/// Rejects and imports as a script counts them (issue 18): a stable `code`
/// per reject, the CSV column and the FHIR Bundle entry named, FHIR taken in
/// time order, an archive judged without a clock, the device side refusing
/// a ts the gateway would refuse.
@Suite struct EndToEndRejectCodes {
    static func ingest(_ dir: Scratch, _ arguments: [String], input: String) throws -> (ToolResult, [[String: Any]]) {
        let rejects = dir.path("rejects-\(UUID().uuidString).jsonl")
        let result = try Tool.run("ehx-ingest", ["--rejects", rejects] + arguments + [input])
        let records = FileManager.default.fileExists(atPath: rejects) ? try Files.jsonObjects(rejects) : []
        return (result, records)
    }

    @Test func everyRejectHasAStableCode() throws {
        let dir = try Scratch("codes-ingest")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 20, mine: false)
        var lines = try Files.textLines(f.readings)
        let first = lines[0]
        var tampered = try JSONValue.parse(Array(first.utf8))
        tampered = tampered.setting(["patient"], to: .string("P-9999"))
        lines += [first, "{not json", String(decoding: tampered.canonicalBytes(), as: UTF8.self)]
        try Files.writeLines(dir.path("in.jsonl"), lines.map { Array($0.utf8) })
        let (result, rejects) = try Self.ingest(dir, ["--psk", f.psk], input: dir.path("in.jsonl"))
        #expect(result.status == 65, "\(result)")
        #expect(rejects.compactMap { $0["code"] as? String }.sorted() == ["json", "mac", "replay"], "\(rejects)")
        #expect(rejects.first { $0["code"] as? String == "replay" }?["field"] as? String == "seq")
        #expect(result.err.contains("3 rejected (json: 1, mac: 1, replay: 1)"), "\(result)")
        // Every code the enum has is documented in ehx(7).
        let manual = try String(contentsOfFile: Package.root.appendingPathComponent("man/ehx.7").path, encoding: .utf8)
        for reason in RejectReason.allCases {
            #expect(manual.contains(".It Li \(reason.rawValue)"), "\(reason.rawValue) is not in REJECT RECORDS")
        }
    }

    @Test func csvRejectsNameTheColumn() throws {
        let dir = try Scratch("codes-csv")
        defer { dir.remove() }
        try Files.write(dir.path("m.csv"), Array("""
            Time,HR,NBPSys,NBPDias
            2026-11-26T10:00:00Z,abc,120,80
            2026-11-26T10:01:00Z,900,120,80
            2026-11-26T10:02:00Z,70,120,85

            """.utf8))
        let (result, rejects) = try Self.ingest(dir, ["--from", "csv", "--device", "m1", "--patient", "p1", "--archive"], input: dir.path("m.csv"))
        #expect(result.status == 65, "\(result)")
        #expect(rejects.count == 2, "\(rejects)")
        #expect(rejects.map { $0["column"] as? String } == ["HR", "HR"], "\(rejects)")
        #expect(rejects.map { $0["code"] as? String } == ["csv", "range"], "\(rejects)")
        #expect(result.outLines.count == 1 + 2, "row 3's BP, and row 4's HR and BP: \(result)")
    }

    static func observation(_ kind: String, loinc: String, value: Double, unit: String, ts: String) -> String {
        """
        {"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"\(loinc)"}]},\
        "subject":{"reference":"Patient/p1"},"device":{"identifier":{"system":"urn:ehx:device","value":"mon 1"}},\
        "effectiveDateTime":"\(ts)","valueQuantity":{"value":\(value),"code":"\(unit)"}}}
        """
    }

    @Test func fhirIsTakenInTimeOrderAndRejectsNameTheEntry() throws {
        let dir = try Scratch("codes-fhir")
        defer { dir.remove() }
        // Newest first, and at one instant SpO2 before heart rate: in file
        // order all but the first were replays.
        let entries = [
            Self.observation("spo2", loinc: "59408-5", value: 97, unit: "%", ts: "2026-11-26T10:05:00Z"),
            Self.observation("heart_rate", loinc: "8867-4", value: 71, unit: "/min", ts: "2026-11-26T10:05:00Z"),
            Self.observation("heart_rate", loinc: "8867-4", value: 70, unit: "/min", ts: "2026-11-26T10:00:00Z"),
            #"{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]}}}"#,
        ]
        let bundle = #"{"resourceType":"Bundle","type":"collection","entry":["# + entries.joined(separator: ",\n") + "]}\n"
        try Files.write(dir.path("b.json"), Array(bundle.utf8))
        let (result, rejects) = try Self.ingest(dir, ["--from", "fhir", "--archive"], input: dir.path("b.json"))
        #expect(result.status == 65, "\(result)")
        let accepted = try result.outLines.map { try JSONLine.object($0) }
        #expect(accepted.map { $0["ts"] as? String } == ["2026-11-26T10:00:00.000Z", "2026-11-26T10:05:00.000Z", "2026-11-26T10:05:00.000Z"], "\(result)")
        #expect(accepted.allSatisfy { $0["device"] as? String == "mon 1" }, "the device by identifier")
        #expect(rejects.count == 1 && rejects.first?["entry"] as? Int == 3 && rejects.first?["code"] as? String == "fhir", "\(rejects)")
    }

    @Test func archiveJudgesTimeBetweenReadingsNotByTheClock() throws {
        let dir = try Scratch("codes-archive")
        defer { dir.remove() }
        let mimic = Package.root.appendingPathComponent("examples/mimic2-s00001-excerpt.csv").path
        let args = ["--from", "csv", "--device", "mimic-s00001", "--patient", "s00001", "--alerts", dir.path("alerts.jsonl")]
        let (clock, clockRejects) = try Self.ingest(dir, args, input: mimic)
        #expect(clock.status == 65 && !clockRejects.isEmpty && clockRejects.allSatisfy { $0["code"] as? String == "ts-future" }, "\(clock.status)")
        let (archive, archiveRejects) = try Self.ingest(dir, args + ["--archive"], input: mimic)
        #expect(archive.status == 0 && archiveRejects.isEmpty, "\(archive)")
        #expect(archive.outLines.count > 100)
        // Order still holds: a reading older than the device's last is refused.
        try Files.write(dir.path("late.csv"), Array("ts,hr\n2896-10-10T00:32:25,62\n2896-10-10T00:31:25,63\n".utf8))
        let (late, lateRejects) = try Self.ingest(dir, args + ["--archive"], input: dir.path("late.csv"))
        #expect(late.status == 65 && lateRejects.map { $0["code"] as? String } == ["replay"], "\(lateRejects)")
        let both = try Tool.run("ehx-ingest", args + ["--archive", "--now", "2896-10-11T00:00:00Z", mimic])
        #expect(both.status == 64, "\(both)")
    }

    /// The skew between readings in an archive: a corrupt time (a year
    /// off) is a `ts-gap` reject and the readings after it are taken; a real
    /// gap longer than --max-gap costs the one reading that opens it; the
    /// whole MIMIC-II recording reads with no reject.
    @Test func archiveRefusesACorruptTimeButNotTheRecordingAfterIt() throws {
        let dir = try Scratch("codes-archive-gap")
        defer { dir.remove() }
        let args = ["--from", "csv", "--device", "mimic-s00001", "--patient", "s00001", "--alerts", dir.path("alerts.jsonl"), "--archive"]
        try Files.write(dir.path("gap.csv"), Array("""
            ts,hr
            2896-10-10T00:31:25,62
            2896-10-10T00:32:25,63
            2996-10-10T00:33:25,64
            2896-10-10T00:34:25,65
            2896-10-10T07:00:25,66
            2896-10-10T07:01:25,67

            """.utf8))
        let (gap, rejects) = try Self.ingest(dir, args + ["--max-gap", "1h"], input: dir.path("gap.csv"))
        #expect(gap.status == 65 && gap.outLines.count == 4, "\(gap)")
        #expect(rejects.map { $0["code"] as? String } == ["ts-gap", "ts-gap"] && rejects.map { $0["line"] as? Int } == [4, 6], "\(rejects)")
        #expect((rejects.first?["reason"] as? String)?.contains("--max-gap") == true, "\(rejects)")
        // The default bound (a day) takes the 6-hour gap, and still catches the year.
        let (day, dayRejects) = try Self.ingest(dir, args, input: dir.path("gap.csv"))
        #expect(day.status == 65 && day.outLines.count == 5 && dayRejects.map { $0["line"] as? Int } == [4], "\(dayRejects)")
        // --max-gap means nothing without --archive.
        let alone = try Tool.run("ehx-ingest", ["--from", "csv", "--device", "d", "--patient", "p", "--max-gap", "1h", dir.path("gap.csv")])
        #expect(alone.status == 64 && alone.err.contains("--max-gap goes with --archive"), "\(alone)")

        guard let data = SharedPath.data else { return }
        let (full, fullRejects) = try Self.ingest(dir, args + ["--max-gap", "2m", "-q"], input: data + "/s00001-2896-10-10-00-31n.csv")
        #expect(full.status == 0 && fullRejects.isEmpty, "\(full.err.suffix(400))")
        #expect(full.outLines.filter { !$0.contains(#""type":"alert""#) }.count == 5960)
        #expect(full.err.isEmpty, "\(full.err.suffix(400))")
    }

    @Test func devicesideRefusesATimeTheGatewayWould() throws {
        let dir = try Scratch("codes-sign-ts")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 3, mine: false)
        var raw = try Files.textLines(f.raw)
        let noMillis = raw[0].replacingOccurrences(of: ".455Z", with: "Z")
        try #require(noMillis != raw[0])
        raw.append(noMillis)
        try Files.writeLines(dir.path("raw2.jsonl"), raw.map { Array($0.utf8) })
        let rejects = dir.path("sign-rejects.jsonl")
        let signed = try Tool.run("ehx-sign", ["--psk", f.psk, "--rejects", rejects, dir.path("raw2.jsonl")])
        #expect(signed.status == 65 && signed.outLines.count == 3, "\(signed)")
        let records = try Files.jsonObjects(rejects)
        #expect(records.count == 1 && records.first?["field"] as? String == "ts" && records.first?["code"] as? String == "schema", "\(records)")
    }
}

@Suite struct EndToEndFHIRRoundTrip {
    /// ehx's own FHIR export reads back whole: every reading, kind, value,
    /// device and patient (EMG with its samples, ACVPU, oxygen), whatever
    /// the order of the Bundle.
    @Test func ehxExportReimportsWhole() throws {
        let dir = try Scratch("fhir-roundtrip")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 400, maxTxs: 100)
        // EMG samples are exported only with a sample period (ehx records none).
        let export = try f.query(["fhir", "--emg-period", "1"]).stdout
        try Files.write(dir.path("export.json"), export)
        let result = try Tool.run("ehx-ingest", ["--from", "fhir", "--archive", "--rejects", dir.path("rej.jsonl"), dir.path("export.json")])
        #expect(result.status == 0, "\(result.err.suffix(600))")
        func essence(_ reading: [String: Any]) -> String {
            ["device", "patient", "ts", "kind"].map { "\(reading[$0] ?? "")" }.joined(separator: "|")
                + "|" + String(decoding: try! JSONSerialization.data(withJSONObject: ["v": reading["value"] ?? NSNull(), "s": reading["samples"] ?? NSNull()], options: .sortedKeys), as: UTF8.self)
        }
        let onChain = try f.query(["txs", "--type", "reading"]).outLines.map { try #require(try JSONLine.object($0)["body"] as? [String: Any]) }
        let back = try result.outLines.map { try JSONLine.object($0) }.filter { $0["type"] == nil }
        #expect(Set(onChain.map(essence)) == Set(back.map(essence)), "\(onChain.count) on the chain, \(back.count) read back")
        #expect(onChain.count == back.count)
    }
}
