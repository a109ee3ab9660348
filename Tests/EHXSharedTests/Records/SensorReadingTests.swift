import Testing
@testable import EHXShared

@Suite struct RecordsSensorReadingTests {
    static let good = #"{"device":"bed1","patient":"P-1","seq":7,"ts":"2026-11-26T10:00:00.000Z","kind":"temperature","value":36.60,"unit":"Cel"}"#

    func parse(_ text: String) throws -> SensorReading {
        try SensorReading(parsing: try JSONValue.parse(text))
    }

    func error(_ text: String) -> RecordError? {
        do { _ = try parse(text); return nil } catch let e as RecordError { return e } catch { return nil }
    }

    @Test func acceptsAValidReadingAndKeepsItsValue() throws {
        let r = try parse(Self.good)
        #expect(r.kind == .temperature && r.seq == 7 && r.device == "bed1")
        #expect(JSONValue.object(r.object).canonicalString.contains(#""value":36.6"#))
    }

    @Test(arguments: [
        (#""unit":"Cel""#, #""unit":"degF""#, "unit"),
        (#""value":36.60"#, #""value":60"#, "value"),
        (#""value":36.60"#, #""value":"36.6""#, "value"),
        (#""seq":7"#, #""seq":-1"#, "seq"),
        (#""seq":7"#, #""seq":18446744073709551616"#, "seq"),
        (#""seq":7"#, #""seq":7.5"#, "seq"),
        (#""kind":"temperature""#, #""kind":"glucose""#, "kind"),
        (#""ts":"2026-11-26T10:00:00.000Z""#, #""ts":"2026-11-26T10:00:00Z""#, "ts"),
        (#""device":"bed1","#, "", "device"),
        (#""patient":"P-1""#, #""patient":"P-1","note":"x""#, "note"),
    ])
    func namesTheFieldItRefuses(_ from: String, _ to: String, _ field: String) {
        #expect(error(Self.good.replacingOccurrences(of: from, with: to))?.field == field)
    }

    @Test func bloodPressureNeedsDiastolicBelowSystolic() {
        let bp = #"{"device":"d","patient":"p","seq":1,"ts":"2026-11-26T10:00:00.000Z","kind":"blood_pressure","unit":"mm[Hg]","value":{"systolic":80,"diastolic":90}}"#
        #expect(error(bp)?.field == "value.diastolic")
        #expect(error(bp.replacingOccurrences(of: #""diastolic":90"#, with: #""diastolic":60,"mean":70"#))?.field == "value.mean")
        #expect(error(bp.replacingOccurrences(of: #""diastolic":90"#, with: #""diastolic":60"#)) == nil)
    }

    @Test func macCoversEveryFieldButItself() throws {
        let key = try SecureRandom.bytes(count: 32)
        let signed = try SensorReading(parsing: try parse(Self.good).authenticated(key: key))
        #expect(signed.hasValidMAC(key: key))
        #expect(!signed.hasValidMAC(key: try SecureRandom.bytes(count: 32)))
        var changed = signed.object
        changed["value"] = 36.7
        #expect(!(try SensorReading(parsing: .object(changed))).hasValidMAC(key: key))
        // The MAC is over canonical bytes, so key order and 36.60 vs 36.6 don't matter.
        let expected = HMACSHA256.authenticationCode(for: Array(#"{"device":"bed1","kind":"temperature","patient":"P-1","seq":7,"ts":"2026-11-26T10:00:00.000Z","unit":"Cel","value":36.6}"#.utf8), key: key)
        #expect(signed.mac == expected)
    }

    @Test func gateRejectsUnknownDevicesBadMacsAndReplays() throws {
        var psk = PSKFile()
        let key = try SecureRandom.bytes(count: 32)
        psk.add(device: "bed1", key: key)
        var gate = ReadingGate(keys: psk)
        let r = try parse(Self.good)
        #expect(throws: RecordError.self) { try gate.admit(.object(r.object)) } // no mac
        _ = try gate.admit(r.authenticated(key: key))
        #expect((try? gate.admit(r.authenticated(key: key))) == nil) // same seq again: replay
        var next = r.object
        next["seq"] = 8
        #expect((try? gate.admit(try SensorReading(parsing: .object(next)).authenticated(key: try SecureRandom.bytes(count: 32)))) == nil)
        _ = try gate.admit(try SensorReading(parsing: .object(next)).authenticated(key: key))
    }
}
