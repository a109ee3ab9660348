import Testing
@testable import EHXShared

/// The gateway reads a line with its `mac` member cut out where it can find
/// it without a parser (see MACMember); every line, cut or not, must get
/// the verdict and bytes the whole-value path gives it.
@Suite struct RecordsMACMemberTests {
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
    /// `rest` without its closing brace, for a member to follow.
    static let open = String(rest.dropLast())
    /// A heart rate from `device`, with `extra` as its last members.
    static func appended(_ extra: String, device: String = "d") -> String {
        #"{"device":""# + device + #"","kind":"heart_rate","# + open + extra
    }

    @Test(arguments: [String]([
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
        // Cut as the last member, as a device that appends it sends it.
        appended(#","mac":"MAC"}"#),
        #"{"value":70,"device":"d","kind":"heart_rate","patient":"p","seq":1,"ts":"2026-11-26T10:00:00.000Z","unit":"/min","mac":"MAC"}"#,
        appended(#","mac":"MAC"}"#, device: #"d\""#),
        #"{"mac":"MAC","device":"d","kind":"heart_rate","# + open + #","mac":"MAC"}"#,
        #"{"device":"d","kind":"blood_pressure","patient":"p","seq":1,"ts":"2026-11-26T10:00:00.000Z","unit":"mm[Hg]","value":{"diastolic":80,"systolic":120,"mac":"MAC"}}"#,
        #"{"device":"d","kind":"blood_pressure","patient":"p","seq":1,"ts":"2026-11-26T10:00:00.000Z","unit":"mm[Hg]","value":{"diastolic":80,"systolic":120},"x":{"mac":"MAC"}}"#,
        appended(#","mac":"MAC"} "#),
        appended(#","mac":"MAC"}}"#),
        appended(#","note":"x\","mac":"MAC"}"#),
        #"{"mac":"MAC"}"#,
        #"[1,"mac":"MAC"}"#,
    ]))
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

    @Test func findsTheMemberAfterKindOrLast() throws {
        let mac = try Self.mac
        let member = #","mac":""# + mac + "\""
        let canonical = Self.head.replacingOccurrences(of: "MAC", with: mac) + "," + Self.rest
        let appended = Self.appended(member + "}")
        for text in [canonical, appended] {
            let bytes = Array(text.utf8)
            let found = try #require(bytes.withUnsafeBytes { MACMember(line: $0) })
            #expect(String(decoding: bytes[found.range], as: UTF8.self) == member)
            #expect(withUnsafeBytes(of: found.code) { Hex.encode($0) } == mac)
            let cut = bytes.withUnsafeBytes { line in found.withLineWithout(line) { Array($0) } }
            #expect(String(decoding: cut, as: UTF8.self) == #"{"device":"d","kind":"heart_rate","# + Self.rest)
        }
        let others = [
            canonical.replacingOccurrences(of: #""d""#, with: #""d\"""#),
            String(canonical.dropLast(Self.rest.count + 1)),
            appended + " ",
            appended.replacingOccurrences(of: mac, with: mac.uppercased()),
            "{}", "",
        ]
        for other in others {
            #expect(Array(other.utf8).withUnsafeBytes { MACMember(line: $0) } == nil)
        }
    }
}
