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

    /// The gateway reads a line straight from jansson's tree; every other
    /// tool goes through JSONValue. Both must accept, refuse and write the
    /// same: same reason for each bad line, same canonical bytes otherwise.
    @Test(arguments: [
        good,
        #"{"value":36.60,"unit":"Cel","ts":"2026-11-26T10:00:00.000Z","seq":7.0,"patient":"P-\u0001","kind":"temperature","device":"b\"ed"}"#,
        #"{"device":"b\\d\u00e9","patient":"P-1","seq":7,"ts":"2026-11-26T10:00:00.000Z","kind":"temperature","value":36.60,"unit":"Cel"}"#,
        #"{"device":"d","patient":"p","seq":9007199254740992,"ts":"9998-12-31T23:59:59.999Z","kind":"blood_pressure","unit":"mm[Hg]","value":{"systolic":120,"diastolic":80}}"#,
        #"{"device":"d","patient":"p","seq":0,"ts":"1970-01-01T00:00:00.000Z","kind":"consciousness","unit":"1","value":"A"}"#,
        #"{"device":"d","patient":"p","seq":3,"ts":"1970-01-01T00:00:00.000Z","kind":"oxygen","unit":"1","value":false}"#,
        #"{"device":"d","patient":"p","seq":3,"ts":"1970-01-01T00:00:00.000Z","kind":"blood_pressure","unit":"mm[Hg]","value":{"diastolic":79.5,"systolic":1.2e2}}"#,
        #"{"device":"d","patient":"p","seq":9007199254740991,"ts":"1970-01-01T00:00:00.000Z","kind":"blood_pressure","unit":"mm[Hg]","value":{"diastolic":12.345678901234568,"systolic":123.45678901234567}}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2026-02-29T00:00:00.000Z","kind":"consciousness","unit":"1","value":"A"}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"emg","unit":"mV","value":0.5,"samples":[1,2.5,-3e-7]}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"emg","unit":"mV","value":0.5,"samples":[1,"x"]}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60,"samples":[1]}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60,"mac":"00"}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60,"mac":"\#(String(repeating: "A", count: 64))"}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60,"mac":"\#(String(repeating: "0f", count: 32))"}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60,"zeta":1,"alpha":2}"#,
        #"{"device":"","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60}"#,
        #"{"device":5,"patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60}"#,
        #"{"device":"d","patient":"p","seq":"1","ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2027-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/MIN","value":60}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min"}"#,
        #"{"device":"d\u007f","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":60}"#,
        #"[1,2]"#,
        // The gateway reads integers as integers first: every edge must
        // still come out as the double strtod gives, or refused alike.
        #"{"device":"d","patient":"p","seq":9007199254740993,"ts":"2028-02-29T00:00:00.000Z","kind":"emg","unit":"mV","value":-0}"#,
        #"{"device":"d","patient":"p","seq":9223372036854775807,"ts":"2028-02-29T00:00:00.000Z","kind":"emg","unit":"mV","value":1}"#,
        #"{"device":"d","patient":"p","seq":18446744073709551616,"ts":"2028-02-29T00:00:00.000Z","kind":"emg","unit":"mV","value":1}"#,
        #"{"device":"d","patient":"p","seq":-9223372036854775809,"ts":"2028-02-29T00:00:00.000Z","kind":"emg","unit":"mV","value":1}"#,
        #"{"device":"d","patient":"p","seq":1e2,"ts":"2028-02-29T00:00:00.000Z","kind":"emg","unit":"mV","value":-0.0}"#,
        #"{"device":"d","patient":"p","seq":12,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":-0}"#,
        // Absence and the pleth pulse (CSV imports): null only when absent,
        // pleth only on a heart rate, both sorted into the canonical form.
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":null,"absent":"leads-off"}"#,
        #"{"absent":"no-signal","device":"d","kind":"spo2","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","unit":"%","value":null}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"spo2","unit":"%","value":97,"absent":"no-signal"}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"spo2","unit":"%","value":null,"absent":"tired"}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"spo2","unit":"%","value":null}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":150,"pleth":75.5}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"spo2","unit":"%","value":97,"pleth":75}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":70,"pleth":0}"#,
        #"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":null,"absent":"no-signal","pleth":60}"#,
    ])
    func gatewayPathAgreesWithTheValuePath(_ text: String) throws {
        let gate = ReadingGate(keys: PSKFile(), workers: 1)
        let viaValue = Result { () throws(RecordError) in try gate.prepare((try? JSONValue.parse(text)) ?? .null, authenticated: false) }
        let viaLine = Array(text.utf8).withUnsafeBytes { line in
            Result { () throws(RecordError) in try gate.prepare(line: line, authenticated: false, worker: 0) }
        }
        switch (viaValue, viaLine) {
        case let (.success(a), .success(b)):
            #expect(a.canonical == b.canonical)
            #expect(a.canonical == JSONValue.object(a.reading.object).canonicalBytes())
            #expect(a.canonical == (try JSONValue.parse(text)).canonicalBytes())
        case let (.failure(a), .failure(b)):
            #expect(a.description == b.description)
        default:
            Issue.record("one path accepted what the other refused: \(viaValue) vs \(viaLine)")
        }
    }

    /// A device that sends absences and pleth pulses MACs them like any
    /// other member: the gateway's line paths verify them.
    @Test func absentAndPlethReadingsAreMACedWhole() throws {
        let key = Array(UInt8(0)..<32)
        var keys = PSKFile()
        keys.add(device: "d", key: key)
        let gate = ReadingGate(keys: keys, workers: 1)
        for text in [#"{"device":"d","patient":"p","seq":1,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":null,"absent":"leads-off"}"#,
                     #"{"device":"d","patient":"p","seq":2,"ts":"2028-02-29T00:00:00.000Z","kind":"heart_rate","unit":"/min","value":150,"pleth":75}"#] {
            let reading = try SensorReading(parsing: try JSONValue.parse(text))
            let signed = reading.canonicalForm().bytes
            let mac = Hex.encode(HMACSHA256.authenticationCode(for: signed, key: key))
            var object = reading.object
            object["mac"] = .string(mac)
            let line = JSONValue.object(object).canonicalBytes()
            let prepared = try line.withUnsafeBytes { try gate.prepare(line: $0, authenticated: true, worker: 0) }
            #expect(prepared.canonical == line)
            var forged = object
            forged["pleth"] = 76
            forged["absent"] = reading.absent == nil ? nil : "no-signal"
            let bad = JSONValue.object(forged).canonicalBytes()
            #expect(throws: RecordError.self) { try bad.withUnsafeBytes { try gate.prepare(line: $0, authenticated: true, worker: 0) } }
        }
    }

    @Test func gatewayPathNamesBrokenJSON() {
        let gate = ReadingGate(keys: PSKFile(), workers: 1)
        let result = Array(#"{"device":"#.utf8).withUnsafeBytes { line in
            Result { () throws(RecordError) in try gate.prepare(line: line, authenticated: true, worker: 0) }
        }
        guard case let .failure(error) = result else { Issue.record("accepted broken JSON"); return }
        #expect(error.field == nil && error.message.hasPrefix("not JSON"))
    }

    /// Each worker keeps its own ready key; any worker, or none, must give
    /// the same verdicts, also after the key has been cached.
    @Test func macVerdictsAreTheSameOnEveryWorker() throws {
        var psk = PSKFile()
        let key = try SecureRandom.bytes(count: 32)
        psk.add(device: "bed1", key: key)
        let gate = ReadingGate(keys: psk, workers: 2)
        let signed = Array(try parse(Self.good).authenticated(key: key).canonicalBytes())
        let forged = Array(try parse(Self.good).authenticated(key: try SecureRandom.bytes(count: 32)).canonicalBytes())
        let stranger = Array(try parse(Self.good.replacingOccurrences(of: "bed1", with: "bed2")).authenticated(key: key).canonicalBytes())
        for worker in [0, 1, 0, 1, nil, 7] as [Int?] {
            func verdict(_ line: [UInt8]) -> String {
                line.withUnsafeBytes { l in
                    do throws(RecordError) { _ = try gate.prepare(line: l, authenticated: true, worker: worker); return "ok" } catch { return error.field ?? "?" }
                }
            }
            #expect(verdict(signed) == "ok")
            #expect(verdict(forged) == "mac")
            #expect(verdict(stranger) == "device")
        }
    }
}
