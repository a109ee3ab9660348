import Foundation
import Testing
@testable import EHXShared

/// A blood pressure whose diastolic the monitor could not give keeps its
/// systolic (issue 18): NEWS2 scores the systolic alone. Its value is
/// `{"diastolic":null,"systolic":n}`, through every step a reading takes.
@Suite struct SystolicOnlyBloodPressureTests {
    static let ts = "2026-11-26T10:00:00.000Z"

    static func reading(_ value: JSONValue, seq: Int64 = 1, ts: String = ts, device: String = "bed1") -> JSONValue {
        ["device": .string(device), "patient": "P-1", "seq": .number(Double(seq)), "ts": .string(ts),
         "kind": "blood_pressure", "unit": "mm[Hg]", "value": value]
    }

    static let systolicOnly: JSONValue = ["systolic": 88, "diastolic": .null]

    @Test func theReadingFormatTakesANullDiastolicAndOnlyThat() throws {
        let r = try SensorReading(parsing: Self.reading(Self.systolicOnly))
        #expect(r.primaryNumber == 88)
        #expect(String(decoding: r.canonicalForm().bytes, as: UTF8.self)
            == #"{"device":"bed1","kind":"blood_pressure","patient":"P-1","seq":1,"ts":"2026-11-26T10:00:00.000Z","unit":"mm[Hg]","value":{"diastolic":null,"systolic":88}}"#)
        // The fast form is the canonical JSON of the object, as for every other value.
        #expect(r.canonicalForm().bytes == JSONValue.object(r.object).canonicalBytes())
        // One spelling: the diastolic is never left out; a systolic is never null.
        func field(_ value: JSONValue) -> String? {
            do { _ = try SensorReading(parsing: Self.reading(value)); return nil } catch { return error.field }
        }
        #expect(field(["systolic": 88]) == "value.diastolic")
        #expect(field(["systolic": .null, "diastolic": 60]) == "value.systolic")
        #expect(field(["systolic": 88, "diastolic": "none"]) == "value.diastolic")
        #expect(field(["systolic": 400, "diastolic": .null]) == "value.systolic")
    }

    @Test func theDeviceMACCoversItAndTheGatewayScoresTheSystolic() throws {
        var keys = PSKFile()
        let key = try SecureRandom.bytes(count: 32)
        keys.add(device: "bed1", key: key)
        let now = Timestamp(rfc3339: Self.ts)!
        var gateway = Gateway(gate: ReadingGate(keys: keys, now: now), engine: RuleEngine(), state: IngestState())
        let signed = try SensorReading(parsing: Self.reading(Self.systolicOnly)).authenticated(key: key)
        let (reading, canonical, alert) = try gateway.process(signed)
        #expect(reading.value == Self.systolicOnly)
        #expect(String(decoding: canonical, as: UTF8.self).contains(#""value":{"diastolic":null,"systolic":88}"#))
        // Systolic 88 scores 3 on NEWS2 (<= 90): an alert, as with a diastolic.
        let a = try #require(alert)
        #expect(a.news2?["scores"]?["systolic_bp"] == 3, "\(a.json.canonicalString)")
        // A changed systolic does not verify under the MAC.
        var forged = signed.objectValue ?? [:]
        forged["value"] = ["systolic": 120, "diastolic": .null]
        forged["seq"] = 2
        #expect(throws: RecordError.self) { try gateway.process(.object(forged)) }
    }

    @Test(arguments: [ChainRules.legacyRulesVersion, ChainRules.currentRulesVersion])
    func theChainTakesItUnderBothRulesVersions(rules: Int64) throws {
        var chain = try TestChain(rulesVersion: rules, gatewayDevices: rules >= 2 ? ["bed1"] : [])
        let tx = try chain.signed(Self.reading(Self.systolicOnly, ts: chain.ts()))
        try TransactionBody.check(tx.body, type: .reading)
        _ = try chain.append([tx])
        #expect(chain.validate().isEmpty, "\(chain.validate())")
    }

    @Test func theListingAndTheFHIRExportShowTheDiastolicAsAbsent() throws {
        let key = try Ed25519.PrivateKey()
        let tx = try Transaction.sign(type: .reading, body: Self.reading(Self.systolicOnly), key: key)
        #expect(TxPrinter.row(tx)[7] == "88/-")
        let obs = try #require(FHIRExport.observation(tx, height: 1, blockHash: .zero))
        let comps = try #require(obs["component"]?.arrayValue)
        #expect(comps[0]["valueQuantity"]?["value"] == 88)
        #expect(comps[1]["valueQuantity"] == nil && comps[1]["dataAbsentReason"]?["coding"]?.arrayValue?.first?["code"] == "unknown")
        // The export reads back as the same reading (FHIR round trip).
        let back = try SensorReading(parsing: try FHIRObservation.reading(obs, defaultDevice: nil, defaultPatient: nil))
        #expect(back.kind == .bloodPressure && back.value == Self.systolicOnly && back.device == "bed1" && back.patient == "P-1")
    }

    @Test func fhirImportKeepsTheSystolicOfADiastolicWithADataAbsentReason() throws {
        func observation(systolic: String, diastolic: String) throws -> JSONValue {
            try JSONValue.parse(Array("""
                {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
                 "subject":{"reference":"Patient/P-1"},"device":{"reference":"Device/bed1"},"effectiveDateTime":"\(Self.ts)",
                 "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},\(systolic)},
                              {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},\(diastolic)}]}
                """.utf8))
        }
        let value = #""valueQuantity":{"value":88,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}"#
        let absent = #""dataAbsentReason":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/data-absent-reason","code":"error"}]}"#
        let r = try SensorReading(parsing: try FHIRObservation.reading(try observation(systolic: value, diastolic: absent), defaultDevice: nil, defaultPatient: nil))
        #expect(r.value == Self.systolicOnly)
        // Without a systolic there is nothing to record.
        let e = #expect(throws: RecordError.self) {
            try FHIRObservation.reading(try observation(systolic: absent, diastolic: value.replacingOccurrences(of: "88", with: "60")), defaultDevice: nil, defaultPatient: nil)
        }
        #expect(e?.reason == .absent && e?.field == "component[0]")
    }

    @Test func aCSVRowWithASystolicAndNoDiastolicGivesOne() throws {
        let table = try CSVReadings(header: ["Time", "NBPSys", "NBPDias"], overrides: [:], device: "bed1", patient: "P-1")
        for row in ["2026-11-26T10:00:00Z,88,", "2026-11-26T10:00:00Z,88,0"] {
            let readings = try table.readings(CSVReadings.split(Array(row.utf8))!)
            #expect(try readings.map { try SensorReading(parsing: $0).value } == [Self.systolicOnly], "\(row)")
        }
        // A diastolic alone names the systolic column.
        let e = #expect(throws: RecordError.self) { try table.readings(CSVReadings.split(Array("2026-11-26T10:00:00Z,,60".utf8))!) }
        #expect(e?.field == "NBPSys")
        // A systolic of 0 is the monitor's "no signal", as before.
        let absent = try table.readings(CSVReadings.split(Array("2026-11-26T10:00:00Z,0,0".utf8))!)
        #expect(try absent.map { try SensorReading(parsing: $0).absent } == [.noSignal])
    }
}
