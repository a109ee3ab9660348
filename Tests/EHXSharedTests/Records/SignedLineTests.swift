import Foundation
import Testing
@testable import EHXShared

/// ehx-sign's path for plain readings (`ReadingSigner`, issue 19) must
/// write exactly the line and txid the general path
/// (`Transaction.signWithLeaf`) writes, and leave every other line to it.
@Suite struct SignedLineTests {
    static let lines = [
        #"{"device":"bed1","patient":"P-1","seq":1,"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":72,"unit":"/min"}"#,
        // Members in any order, spaces, numbers spelled otherwise than JCS writes them.
        #"{ "value" : 7.2e1, "unit":"/min","kind":"heart_rate","ts":"2026-11-26T10:00:00.000Z","seq":2,"patient":"P-1","device":"bed1" }"#,
        #"{"device":"bed1","patient":"P-1","seq":3,"ts":"2026-11-26T10:00:00.000Z","kind":"temperature","value":36.60,"unit":"Cel"}"#,
        // Escapes and characters outside the BMP in strings.
        #"{"device":"bed \"7\" \\ \u00e9","patient":"P-\ud800\udc00","seq":4,"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":72,"unit":"/min"}"#,
        #"{"device":"cuff","patient":"P-1","seq":5,"ts":"2026-11-26T10:00:00.000Z","kind":"blood_pressure","value":{"systolic":120,"diastolic":null},"unit":"mm[Hg]"}"#,
        #"{"device":"bed1","patient":"P-1","seq":6,"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":null,"absent":"leads-off","pleth":80,"unit":"/min"}"#,
        #"{"device":"bed1","patient":"P-1","seq":7,"ts":"2026-11-26T10:00:00.000Z","kind":"heart_rate","value":72,"unit":"/min","mac":"\#(String(repeating: "ab", count: 32))"}"#,
    ]

    static func general(_ line: String, ts: Timestamp, key: Ed25519.PrivateKey) throws -> SignedLine {
        let signed = try Transaction.signWithLeaf(type: .reading, body: try JSONValue.parse(Array(line.utf8)), ts: ts, key: key)
        return SignedLine(signed.transaction, leaf: signed.leaf)
    }

    static func quick(_ line: String, ts: Timestamp, signer: ReadingSigner) -> SignedLine? {
        Array(line.utf8).withUnsafeBytes { signer.signedLine($0, ts: ts) }
    }

    @Test func plainReadingsAreSignedAsTheGeneralPathSignsThem() throws {
        let key = try Ed25519.PrivateKey()
        let signer = ReadingSigner(key: key)
        let ts = Timestamp(millisecondsSince1970: 1_796_000_000_123)
        for line in Self.lines {
            let general = try Self.general(line, ts: ts, key: key)
            let quick = try #require(Self.quick(line, ts: ts, signer: signer), "\(line)")
            #expect(quick.leaf == general.leaf, "\(line)")
            #expect(quick.txid == general.txid, "\(line)")
            // And it reads back as a valid transaction with that txid.
            let parsed = try Transaction.parseWithLeaf(try JSONValue.parse(quick.leaf))
            #expect(parsed.leaf == quick.leaf && parsed.transaction.txid == quick.txid && parsed.transaction.hasValidSignature)
        }
    }

    /// Line after line into one buffer, as a worker writes its share of a
    /// batch: each line is the general path's leaf and a newline, a line
    /// it declines leaves the buffer as it was, and the buffers it keeps
    /// from line to line carry nothing of one line into the next.
    @Test func linesAppendedToOneBufferAreEachTheGeneralLine() throws {
        let key = try Ed25519.PrivateKey()
        let signer = ReadingSigner(key: key)
        var out: [UInt8] = []
        var expected: [UInt8] = []
        for (i, line) in (Self.lines + Self.lines.reversed()).enumerated() {
            let ts = Timestamp(millisecondsSince1970: 1_796_000_000_000 + Int64(i) * 1_001)
            #expect(Array(line.utf8).withUnsafeBytes { signer.append($0, ts: ts, to: &out) })
            expected += try Self.general(line, ts: ts, key: key).leaf + [0x0a]
            let before = out
            #expect(!Array("{\"type\":\"alert\",\"body\":{}}".utf8).withUnsafeBytes { signer.append($0, ts: ts, to: &out) })
            #expect(out == before)
        }
        #expect(out == expected)
    }

    @Test func everyOtherLineIsLeftToTheGeneralPath() throws {
        let signer = ReadingSigner(key: try Ed25519.PrivateKey())
        let ts = Timestamp(millisecondsSince1970: 1_796_000_000_123)
        let plain = Self.lines[0]
        let others = [
            // An envelope (ehx-ingest's alerts), which names its own type.
            #"{"type":"alert","body":{"device":"bed1"}}"#,
            // A repeated name, an unknown member, a wrong type, a bad time, not JSON, not an object.
            plain.replacingOccurrences(of: #""seq":1"#, with: #""seq":1,"seq":2"#),
            plain.replacingOccurrences(of: #""seq":1"#, with: #""seq":1,"x":0"#),
            plain.replacingOccurrences(of: #""seq":1"#, with: #""seq":"1""#),
            plain.replacingOccurrences(of: "10:00:00.000Z", with: "10:00:00Z"),
            String(plain.dropLast()),
            "[1]",
            // A sealed or stored body is a reading too, but not a plain one.
            #"{"kind":"heart_rate","seq":1,"ts":"2026-11-26T10:00:00.000Z","sealed":{}}"#,
            #"{"kind":"heart_rate","seq":1,"ts":"2026-11-26T10:00:00.000Z","stored":{}}"#,
        ]
        for line in others { #expect(Self.quick(line, ts: ts, signer: signer) == nil, "\(line)") }
        // A signing time the general path would refuse to write (9999 and
        // later, before 1970), and the last it writes.
        #expect(Self.quick(plain, ts: Timestamp(millisecondsSince1970: 253_370_764_800_000), signer: signer) == nil)
        #expect(Self.quick(plain, ts: Timestamp(millisecondsSince1970: -1), signer: signer) == nil)
        #expect(Self.quick(plain, ts: Timestamp(millisecondsSince1970: 253_370_764_799_999), signer: signer) != nil)
    }
}
