import Foundation
import Testing
@testable import EHXShared

@Suite struct IngestGatewayTests {
    static let t0 = Timestamp(rfc3339: "2026-11-26T10:00:00.000Z")!

    static func reading(seq: Int, minute: Int = 0, device: String = "bed1", value: Double = 72) -> SensorReading {
        let ts = Timestamp(millisecondsSince1970: t0.millisecondsSince1970 + Int64(minute) * 60_000)
        return try! SensorReading(parsing: ["device": .string(device), "patient": "P-1", "seq": .number(Double(seq)), "ts": .string(ts.description),
                                           "kind": "heart_rate", "value": .number(value), "unit": "/min"])
    }

    func gateway(_ keys: PSKFile, state: IngestState = IngestState(), now: Timestamp = t0) -> Gateway {
        Gateway(gate: ReadingGate(keys: keys, now: now), engine: RuleEngine(), state: state)
    }

    @Test func macAndReplayAcrossTwoRunsWithAStateFile() throws {
        try TemporaryDirectory.with { dir in
            var keys = PSKFile()
            let key = try SecureRandom.bytes(count: 32)
            keys.add(device: "bed1", key: key)
            let statePath = dir.path("state.json")

            var run1 = gateway(keys, state: try IngestState.load(path: statePath), now: Self.t0.adding(minutes: 10))
            _ = try run1.process(Self.reading(seq: 1).authenticated(key: key))
            _ = try run1.process(Self.reading(seq: 2, minute: 1).authenticated(key: key))
            #expect(throws: RecordError.self) { try run1.process(Self.reading(seq: 3).json(withoutMAC: ())) } // no mac
            #expect(throws: RecordError.self) { try run1.process(Self.reading(seq: 3).authenticated(key: try SecureRandom.bytes(count: 32))) }
            #expect(throws: RecordError.self) { try run1.process(Self.reading(seq: 3, device: "bed9").authenticated(key: key)) }
            try run1.state.save(path: statePath)

            var run2 = gateway(keys, state: try IngestState.load(path: statePath), now: Self.t0.adding(minutes: 10))
            let replay = #expect(throws: RecordError.self) { try run2.process(Self.reading(seq: 2, minute: 1).authenticated(key: key)) }
            #expect(replay?.message.hasPrefix("replay") == true)
            let older = #expect(throws: RecordError.self) { try run2.process(Self.reading(seq: 3, minute: 0).authenticated(key: key)) }
            #expect(older?.field == "ts")
            _ = try run2.process(Self.reading(seq: 3, minute: 2).authenticated(key: key))
            // The baseline learned in run 1 carries over.
            #expect(run2.state.patients["P-1"]?.baselines[.heartRate]?.n == 3)
            #expect(try dir.mode("state.json") == 0o600)
        }
    }

    @Test func futureReadingsBeyondMaxSkewAreRefused() throws {
        var keys = PSKFile()
        let key = try SecureRandom.bytes(count: 32)
        keys.add(device: "bed1", key: key)
        var g = gateway(keys, now: Self.t0)
        _ = try g.process(Self.reading(seq: 1, minute: 5).authenticated(key: key)) // exactly 5 min ahead: allowed
        let e = #expect(throws: RecordError.self) { try g.process(Self.reading(seq: 2, minute: 6).authenticated(key: key)) }
        #expect(e?.field == "ts")
    }

    @Test func rotatedKeyIsAcceptedOnlyInsideItsGraceWindow() throws {
        try TemporaryDirectory.with { dir in
            var keys = PSKFile()
            let old = try SecureRandom.bytes(count: 32), new = try SecureRandom.bytes(count: 32)
            keys.add(device: "bed1", key: old)
            keys.rotate(device: "bed1", newKey: new, graceUntil: Self.t0.adding(minutes: 60))
            try keys.save(path: dir.path("d.psk"))
            let loaded = try PSKFile.load(path: dir.path("d.psk"))
            #expect(loaded.previous["bed1"]?.until == Self.t0.adding(minutes: 60))

            var inside = gateway(loaded, now: Self.t0.adding(minutes: 30))
            _ = try inside.process(Self.reading(seq: 1).authenticated(key: old))
            _ = try inside.process(Self.reading(seq: 2).authenticated(key: new))
            #expect(inside.gate.previousKeyUses == 1)
            var after = gateway(loaded, now: Self.t0.adding(minutes: 61))
            #expect(throws: RecordError.self) { try after.process(Self.reading(seq: 1).authenticated(key: old)) }
            _ = try after.process(Self.reading(seq: 1).authenticated(key: new))
        }
    }

    @Test func stateFileRoundTripsAndRefusesGarbage() throws {
        try TemporaryDirectory.with { dir in
            var keys = PSKFile()
            let key = try SecureRandom.bytes(count: 32)
            keys.add(device: "bed1", key: key)
            var g = gateway(keys, now: Self.t0.adding(minutes: 10))
            for i in 0..<5 { _ = try g.process(Self.reading(seq: i, minute: i).authenticated(key: key)) }
            try g.state.save(path: dir.path("s.json"))
            let back = try IngestState.load(path: dir.path("s.json"))
            #expect(back.json == g.state.json)
            try Data("{\"v\":1}".utf8).write(to: URL(fileURLWithPath: dir.path("bad.json")))
            try dir.chmod("bad.json", 0o600)
            #expect(throws: ToolError.self) { try IngestState.load(path: dir.path("bad.json")) }
            #expect(IngestState().json == (try IngestState.load(path: dir.path("none.json"))).json)
        }
    }

    /// The state lives in fixed slots now; a file with values no reading
    /// would store (hand-edited, or from an older gateway) must still come
    /// back byte for byte, and score as NEWS2 reads such values.
    @Test func unusualStateContentsRoundTripExactly() throws {
        let text = #"{"devices":{"bed1":{"seq":7,"ts":"2026-11-26T10:00:00.000Z"}},"patients":{"P-1":{"baselines":{"consciousness":{"mean":1.5,"n":3,"var":0.25},"oxygen":{"mean":0,"n":0,"var":0}},"risk":"high","vitals":{"air_or_oxygen":{"ts":"2026-11-26T10:00:00.000Z","value":"yes"},"consciousness":{"ts":"2026-11-26T10:00:00.000Z","value":5},"pulse":{"ts":"2026-11-26T10:00:00.000Z","value":"abc"},"systolic_bp":{"ts":"2026-11-26T10:00:00.000Z","value":85}}},"P-2":{"baselines":{},"vitals":{}}},"v":1}"#
        let state = try IngestState(parsing: try JSONValue.parse(Array(text.utf8)))
        #expect(state.json.canonicalString == text)
        #expect(state.devices["bed1"]?.seq == 7)
        let patient = try #require(state.patients["P-1"])
        #expect(patient.vitals[.pulse]?.value == "abc")
        #expect(patient.baselines[.oxygen] == Baseline())
        // Only the plain-number systolic BP (85: scores 3) can be scored.
        let news2 = RuleEngine().aggregate(patient, patientID: "P-1", at: Self.t0)
        #expect(news2.scores == [.systolicBP: 3])

        var copy = state
        copy.patients["P-2"]?.risk = .low
        copy.devices["bed2"] = IngestState.Device(seq: 1, ts: Self.t0)
        #expect(copy.patients["P-2"]?.risk == .low && copy.devices.count == 2)
        #expect(state.patients["P-2"]?.risk == nil && state.devices.count == 1)
    }

    @Test func durations() {
        #expect(DurationArgument.milliseconds("15m") == 900_000)
        #expect(DurationArgument.milliseconds("90") == 90_000)
        #expect(DurationArgument.milliseconds("1.5h") == 5_400_000)
        #expect(DurationArgument.milliseconds("-1") == nil)
        #expect(DurationArgument.milliseconds("m") == nil)
    }
}

@Suite struct IngestImportTests {
    @Test func fhirExamplesBecomeReadings() throws {
        let cases: [(String, ReadingKind, JSONValue)] = [
            ("observation-example-heart-rate.json", .heartRate, 44),
            ("observation-example-body-temperature.json", .temperature, 36.5),
            ("observation-example-respiratory-rate.json", .respRate, 26),
            ("observation-example-satO2.json", .spo2, 95),
            ("observation-example-bloodpressure.json", .bloodPressure, ["systolic": 107, "diastolic": 60]),
            // HL7's own example of a diastolic not performed: the systolic stands (issue 18).
            ("observation-example-bloodpressure-dar.json", .bloodPressure, ["systolic": 107, "diastolic": .null]),
        ]
        for (file, kind, value) in cases {
            guard let data = SharedFiles.data("fhir-examples/" + file) else { return } // skip without ../shared
            let json = try JSONValue.parse(Array(data))
            let r = try SensorReading(parsing: try FHIRObservation.reading(json, defaultDevice: "gw", defaultPatient: nil))
            #expect(r.kind == kind && r.value == value && r.patient == "example", "\(file)")
        }
        if let data = SharedFiles.data("fhir-examples/observation-example-satO2.json") {
            let r = try FHIRObservation.reading(try JSONValue.parse(Array(data)), defaultDevice: "gw", defaultPatient: nil)
            #expect(r["device"] == "DeviceMetric/example")
            #expect(r["ts"] == "2014-12-05T08:30:10.000Z") // +01:00 applied
        }
        for file in ["observation-example-bmi.json", "observation-example-vitals-panel.json"] {
            guard let data = SharedFiles.data("fhir-examples/" + file) else { return }
            #expect(throws: RecordError.self, "\(file)") { try FHIRObservation.reading(try JSONValue.parse(Array(data)), defaultDevice: "gw", defaultPatient: nil) }
        }
    }

    @Test func fahrenheitIsConvertedAndSeqFollowsTime() throws {
        let obs = try JSONValue.parse(#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},"subject":{"reference":"Patient/7/_history/2"},"effectiveDateTime":"2026-11-26T10:00:00Z","valueQuantity":{"value":98.6,"unit":"F","system":"http://unitsofmeasure.org","code":"[degF]"}}"#)
        let r = try SensorReading(parsing: try FHIRObservation.reading(obs, defaultDevice: "gw", defaultPatient: nil))
        #expect(r.value == 37 && r.patient == "7")
        #expect(r.seq == ImportedReading.seq(ts: r.ts, kind: .temperature))
        #expect(LooseTime.parse("2026-11-26") == Timestamp(rfc3339: "2026-11-26T00:00:00.000Z"))
        #expect(LooseTime.parse("2026-11-26T10:00:00.123456-02:30") == Timestamp(rfc3339: "2026-11-26T12:30:00.123Z"))
        #expect(LooseTime.parse("2026-11-26T10:00:00+2") == nil)
    }

    @Test func csvRowsBecomeReadingsInSeqOrderWithZeroAsAbsent() throws {
        let table = try CSVReadings(header: ["timestamp_surrogate", "HR", "ABPSys", "RESP", "SpO2", "NBPSys", "NBPDias"], overrides: ["ABPSys": .ignore],
                                    device: "mon", patient: "P")
        let rows = try table.readings(CSVReadings.split(Array("2896-10-10T00:32:25,62.8,0,12.7,0,120,70".utf8))!)
        let readings = try rows.map { try SensorReading(parsing: $0) }
        #expect(readings.map(\.kind) == [.heartRate, .spo2, .respRate, .bloodPressure])
        // SpO2 0 is the monitor's "no signal": recorded as absent, value null.
        #expect(readings[1].absent == .noSignal && readings[1].value == .null && readings[0].absent == nil)
        #expect(readings[1].object["absent"] == "no-signal")
        let seqs = try rows.map { try SensorReading(parsing: $0).seq }
        #expect(seqs == seqs.sorted())
        #expect(throws: RecordError.self) { try table.readings(CSVReadings.split(Array("2896-10-10T00:32:25,abc,0,12,0,,".utf8))!) }
        // A diastolic without a systolic (a systolic alone is a reading: SystolicOnlyBloodPressureTests).
        #expect(throws: RecordError.self) { try table.readings(CSVReadings.split(Array("2896-10-10T00:32:25,60,0,12,0,,70".utf8))!) }
        #expect(throws: ToolError.self) { try CSVReadings(header: ["HR"], overrides: [:], device: "m", patient: "p") }
    }

    @Test func realMonitorRecordingConverts() throws {
        guard let data = SharedFiles.data("data/s00001-2896-10-10-00-31n.csv") else { return }
        let lines = Array(data).split(separator: 0x0a).map { Array($0.last == 0x0d ? $0.dropLast() : $0[...]) }
        let table = try CSVReadings(header: CSVReadings.split(lines[0])!, overrides: [:], device: "mon", patient: "s00001")
        var count = 0, absent = 0, leadsOff = 0, pleth = 0
        for line in lines.dropFirst() {
            for json in try table.readings(CSVReadings.split(line)!) {
                let r = try SensorReading(parsing: json)
                count += 1
                if r.absent != nil { absent += 1 }
                if r.absent == .leadsOff { leadsOff += 1 }
                if r.pleth != nil { pleth += 1 }
            }
        }
        // Every row gives HR, RESP and SpO2 (a 0 as an absent reading), plus 152 cuff BPs.
        #expect(count == 3 * 1936 + 152)
        // HR 1890 + RESP 1891 + SpO2 1573 non-zero; no RESP 0 beside a heart rate and an SpO2 (apnoea).
        #expect(count - absent == 1890 + 1891 + 1573 + 152)
        // 44 rows with HR and RESP both 0: the ECG leads are off.
        #expect(leadsOff == 2 * 44)
        // The pleth pulse rides on every heart rate that has one.
        #expect(pleth == 1569)
    }
}

extension Timestamp {
    func adding(minutes: Int) -> Timestamp { Timestamp(millisecondsSince1970: millisecondsSince1970 + Int64(minutes) * 60_000) }
}

extension SensorReading {
    func json(withoutMAC: ()) -> JSONValue { .object(object) }
}
