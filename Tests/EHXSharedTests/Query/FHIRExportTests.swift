import Foundation
import Testing
@testable import EHXShared

@Suite struct FHIRExportTests {
    static func observation(_ body: JSONValue) throws -> JSONValue {
        let key = try Ed25519.PrivateKey()
        let tx = try Transaction.sign(type: .reading, body: body, key: key)
        return try #require(FHIRExport.observation(tx, height: 3, blockHash: .zero, emgPeriodMs: 2))
    }

    static func reading(_ kind: String, _ value: JSONValue, unit: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        var m: [String: JSONValue] = ["device": "bed1", "patient": "P-1", "seq": 1, "ts": "2026-11-26T10:00:00.000Z",
                                      "kind": .string(kind), "value": value, "unit": .string(unit)]
        for (k, v) in extra { m[k] = v }
        return .object(m)
    }

    static func codes(_ obs: JSONValue) -> [String] {
        (obs["code"]?["coding"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
    }

    @Test func vitalSignsAreProfiledWithLOINCAndUCUM() throws {
        let hr = try Self.observation(Self.reading("heart_rate", 72, unit: "/min"))
        #expect(Self.codes(hr) == ["8867-4"])
        #expect(hr["valueQuantity"]?["code"] == "/min" && hr["valueQuantity"]?["system"] == "http://unitsofmeasure.org")
        #expect(hr["meta"]?["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns"])
        #expect(hr["category"]?.arrayValue?.first?["coding"]?.arrayValue?.first?["code"] == "vital-signs")
        #expect(hr["subject"]?["reference"] == "Patient/P-1" && hr["device"]?["reference"] == "Device/bed1")
        #expect(hr["effectiveDateTime"] == "2026-11-26T10:00:00.000Z")
        #expect(hr["meta"]?["tag"]?.arrayValue?.first?["system"] == "urn:ehx:block")
        #expect(hr["identifier"]?.arrayValue?.first?["value"] == hr["id"])
        let t = try Self.observation(Self.reading("temperature", 36.6, unit: "Cel"))
        #expect(Self.codes(t) == ["8310-5"] && t["valueQuantity"]?["value"] == 36.6)
        let spo2 = try Self.observation(Self.reading("spo2", 95, unit: "%"))
        #expect(Self.codes(spo2) == ["2708-6", "59408-5"])
        let rr = try Self.observation(Self.reading("resp_rate", 16, unit: "/min"))
        #expect(Self.codes(rr) == ["9279-1"])
    }

    @Test func bloodPressureIsAPanelOfComponents() throws {
        let bp = try Self.observation(Self.reading("blood_pressure", ["systolic": 120, "diastolic": 80], unit: "mm[Hg]"))
        #expect(Self.codes(bp) == ["85354-9"])
        #expect(bp["valueQuantity"] == nil)
        let comps = try #require(bp["component"]?.arrayValue)
        #expect(comps.map { Self.codes($0) } == [["8480-6"], ["8462-4"]])
        #expect(comps[0]["valueQuantity"]?["value"] == 120 && comps[1]["valueQuantity"]?["code"] == "mm[Hg]")
    }

    @Test func emgSamplesBecomeSampledData() throws {
        let plain = try Self.observation(Self.reading("emg", 0.4, unit: "mV"))
        #expect(plain["valueQuantity"]?["value"] == 0.4 && plain["meta"]?["profile"] == nil)
        let sampled = try Self.observation(Self.reading("emg", 0.4, unit: "mV", extra: ["samples": [0.1, -0.25, 0.5]]))
        #expect(sampled["valueSampledData"]?["data"] == "0.1 -0.25 0.5")
        #expect(sampled["valueSampledData"]?["period"] == 2 && sampled["valueSampledData"]?["dimensions"] == 1)
        #expect(sampled["component"]?.arrayValue?.first?["valueQuantity"]?["value"] == 0.4)
    }

    /// Without a sample period the samples are not exported (a guessed 1 ms
    /// misdated them); the electrode type is not claimed.
    @Test func emgWithoutAPeriodExportsTheRMSOnly() throws {
        let key = try Ed25519.PrivateKey()
        let tx = try Transaction.sign(type: .reading, body: Self.reading("emg", 0.4, unit: "mV", extra: ["samples": [0.1, 0.2]]), key: key)
        let obs = try #require(FHIRExport.observation(tx, height: 3, blockHash: .zero))
        #expect(obs["valueSampledData"] == nil && obs["valueQuantity"]?["value"] == 0.4)
        #expect(obs["code"]?["coding"]?.arrayValue?.first?["display"]?.stringValue?.contains("Surface") == false)
    }

    @Test func anAbsentReadingCarriesDataAbsentReason() throws {
        let obs = try Self.observation(Self.reading("heart_rate", .null, unit: "/min", extra: ["absent": "leads-off"]))
        #expect(obs["valueQuantity"] == nil)
        #expect(obs["dataAbsentReason"]?["coding"]?.arrayValue?.first?["code"] == "error")
        #expect(obs["dataAbsentReason"]?["text"]?.stringValue?.contains("leads off") == true)
    }

    /// An alert becomes a RiskAssessment and the NEWS2 total (SNOMED CT
    /// 1104051000000101), each labelled partial when parameters were missing.
    @Test func alertsExportTheNEWS2TotalAndTheRisk() throws {
        let engine = RuleEngine()
        var state = IngestState()
        let reading = try SensorReading(parsing: Self.reading("heart_rate", 135, unit: "/min"))
        let alert = try #require(engine.evaluate(reading, state: &state, ref: String(repeating: "ab", count: 32)))
        let key = try Ed25519.PrivateKey()
        let tx = try Transaction.sign(type: .alert, body: alert.json, key: key)
        let resources = FHIRExport.alertResources(tx, height: 4, blockHash: .zero)
        #expect(resources.count == 2)
        let risk = try #require(resources.first { $0.resource["resourceType"] == "RiskAssessment" }?.resource)
        #expect(risk["prediction"]?.arrayValue?.first?["qualitativeRisk"]?["coding"]?.arrayValue?.first?["code"] == "low-medium")
        #expect(risk["prediction"]?.arrayValue?.first?["qualitativeRisk"]?["text"]?.stringValue?.contains("partial") == true)
        let total = try #require(resources.first { $0.resource["resourceType"] == "Observation" }?.resource)
        #expect(total["code"]?["coding"]?.arrayValue?.first?["code"] == "1104051000000101")
        #expect(total["code"]?["coding"]?.arrayValue?.first?["system"] == "http://snomed.info/sct")
        #expect(total["valueInteger"] == 3)
        #expect(total["note"]?.arrayValue?.first?["text"]?.stringValue?.contains("6 of 7 parameters missing") == true)
        #expect(Set(resources.map(\.fullUrl)).count == 2)
    }

    @Test func otherKindsAndReferences() throws {
        let c = try Self.observation(Self.reading("consciousness", "V", unit: "1"))
        #expect(c["valueCodeableConcept"]?["text"] == "V")
        let o = try Self.observation(Self.reading("oxygen", true, unit: "1"))
        #expect(o["valueBoolean"] == true)
        var odd = Self.reading("heart_rate", 60, unit: "/min").objectValue!
        odd["patient"] = "pat 7/b"
        let obs = try Self.observation(.object(odd))
        #expect(obs["subject"]?["identifier"]?["value"] == "pat 7/b")
        let uuid = FHIRExport.uuid(SHA256.hash([UInt8]("x".utf8)))
        #expect(uuid.count == 45 && uuid.hasPrefix("urn:uuid:") && Array(uuid)[23] == "8")
        let key = try Ed25519.PrivateKey()
        let alert = try Transaction.sign(type: .stamp, body: Stamp(height: 1, extranonce: 0).json, key: key)
        #expect(FHIRExport.observation(alert, height: 1, blockHash: .zero) == nil)
    }
}
