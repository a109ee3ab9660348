import Testing
@testable import EHXShared

/// The gateway reads a canonical line with its `mac` member cut out; every
/// line, cut or not, must get the verdict and bytes the whole-value path
/// gives it.
@Suite struct RecordsCanonicalMACTests {
    static let key: [UInt8] = Array(0..<32)
    static let reading = #"{"device":"d","kind":"heart_rate","patient":"p","seq":1,"ts":"2026-11-26T10:00:00.000Z","unit":"/min","value":70}"#

    /// The MAC of `reading` under `key`, as its device would send it.
    static var mac: String {
        get throws {
            let signed = try SensorReading(parsing: JSONValue.parse(reading)).authenticated(key: key)
            return signed["mac"]?.stringValue ?? ""
        }
    }

    static let head = #"{"device":"d","kind":"heart_rate","mac":"MAC""#
    static let rest = #""patient":"p","seq":1,"ts":"2026-11-26T10:00:00.000Z","unit":"/min","value":70}"#

    @Test(arguments: [
        // Cut, and accepted.
        head + "," + rest,
        head + #","value":70,"unit":"/min","ts":"2026-11-26T10:00:00.000Z","seq":1,"patient":"p"}"#,
        // Cut, but refused by the rest: each must read as the whole line does.
        head + "," + rest.replacingOccurrences(of: "70}", with: "71}"),
        head + "," + rest.replacingOccurrences(of: #""seq":1"#, with: #""seq":-1"#),
        head + "," + rest.replacingOccurrences(of: "}", with: #","mac":"MAC"}"#),
        head + "," + rest.replacingOccurrences(of: "}", with: #","note":1}"#),
        head + "," + rest.replacingOccurrences(of: "}", with: ""),
        head + "}",
        head + "," + rest + "x",
        #"{"device":"d","kind":"blood_pressure","mac":"MAC","patient":"p","seq":1,"ts":"2026-11-26T10:00:00.000Z","unit":"mm[Hg]","value":{"diastolic":80,"mac":"MAC","systolic":120}}"#,
        #"{"device":"d","kind":"bogus","mac":"MAC","# + rest,
        #"{"device":"e","kind":"heart_rate","mac":"MAC","# + rest,
        // Not cut: escapes before the mac, odd spacing, a mac not of 64
        // lowercase digits, leading blanks.
        #"{"device":"\u0064","kind":"heart_rate","mac":"MAC","# + rest,
        #"{"device":"d","kind":"heart\u005frate","mac":"MAC","# + rest,
        head + " ," + rest,
        #"{"device":"d","kind":"heart_rate","mac": "MAC","# + rest,
        #"{"device":"d","kind":"heart_rate","mac":"MAC0","# + rest,
        #"{"device":"d","kind":"heart_rate","mac":"UPPER","# + rest,
        " " + head + "," + rest,
    ])
    func cutLinesReadAsWholeOnes(_ template: String) throws {
        let mac = try Self.mac
        let text = template.replacingOccurrences(of: "UPPER", with: mac.uppercased()).replacingOccurrences(of: "MAC", with: mac)
        var psk = PSKFile()
        psk.add(device: "d", key: Self.key)
        let gate = ReadingGate(keys: psk, workers: 1)
        let whole = Result { () throws(RecordError) in
            let value: JSONValue
            do throws(JSONError) { value = try JSONValue.parse(text) } catch { throw RecordError.notJSON(error) }
            return try gate.prepare(value, authenticated: true)
        }
        let line = Array(text.utf8).withUnsafeBytes { line in
            Result { () throws(RecordError) in try gate.prepare(line: line, authenticated: true, worker: 0) }
        }
        switch (whole, line) {
        case let (.success(a), .success(b)):
            #expect(a.canonical == b.canonical)
        case let (.failure(a), .failure(b)):
            #expect(a.description == b.description)
        default:
            Issue.record("one path accepted what the other refused: \(whole) vs \(line)")
        }
    }

    @Test func findsTheMemberOnlyInACanonicalPrefix() throws {
        let mac = try Self.mac
        let text = Self.head.replacingOccurrences(of: "MAC", with: mac) + "," + Self.rest
        let found = Array(text.utf8).withUnsafeBytes { CanonicalMAC(line: $0) }
        let member = try #require(found).member
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[member], as: UTF8.self) == #","mac":""# + mac + "\"")
        let code = try #require(found).code
        #expect(withUnsafeBytes(of: code) { Hex.encode($0) } == mac)
        let cut = Array(text.utf8).withUnsafeBytes { line in try! #require(found).withLineWithout(line) { Array($0) } }
        #expect(String(decoding: cut, as: UTF8.self) == #"{"device":"d","kind":"heart_rate","# + Self.rest)
        for other in [text.replacingOccurrences(of: #""d""#, with: #""d\"""#), String(text.dropLast(Self.rest.count + 1)), "{}", ""] {
            #expect(Array(other.utf8).withUnsafeBytes { CanonicalMAC(line: $0) } == nil)
        }
    }
}
