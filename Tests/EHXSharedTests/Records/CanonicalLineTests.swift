import Foundation
import Testing
@testable import EHXShared

/// The verifier's quick read of a canonical line (issue 19) must accept
/// exactly the lines the general read accepts as canonical, and give the
/// same transaction for each.
@Suite struct CanonicalLineTests {
    /// The general read: parsed whole, and canonical only if its leaf is the line.
    static func general(_ line: [UInt8]) -> Transaction? {
        guard let json = try? JSONValue.parse(line), let (tx, leaf) = try? Transaction.parseWithLeaf(json), leaf == line else { return nil }
        return tx
    }

    static func quick(_ line: [UInt8]) -> Transaction? {
        line.withUnsafeBytes { Transaction(canonicalLine: $0) }
    }

    static func expectSame(_ line: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let general = Self.general(line), quick = Self.quick(line)
        let text = String(decoding: line, as: UTF8.self)
        #expect((general == nil) == (quick == nil), "\(text)", sourceLocation: sourceLocation)
        guard let general, let quick else { return }
        #expect(quick.type == general.type && quick.ts == general.ts && quick.signer == general.signer, "\(text)", sourceLocation: sourceLocation)
        #expect(quick.body == general.body && quick.signature == general.signature, "\(text)", sourceLocation: sourceLocation)
        #expect(quick.unsignedBytes == general.unsignedBytes && quick.txid == general.txid, "\(text)", sourceLocation: sourceLocation)
        #expect(quick.bodyRange == general.bodyRange && quick.leaf == line, "\(text)", sourceLocation: sourceLocation)
    }

    static func transactions() throws -> [Transaction] {
        let chain = try TestChain()
        var txs = [try chain.signed(chain.reading(seq: 1)), try chain.signed(chain.reading(device: #"bed "7" \ é"#, seq: 1 << 52, value: 31.25)),
                   try chain.signed(chain.reading(device: "\u{10000}\u{e000}", seq: 0, value: 100.5))]
        var absent = chain.reading(seq: 2).objectValue ?? [:]
        absent["value"] = .null
        absent["absent"] = "leads-off"
        txs.append(try chain.signed(.object(absent)))
        let firmware: JSONValue = ["vendor": "V\"", "model": "m", "version": "1", "size": 0, "sha256": .string(String(repeating: "0f", count: 32))]
        txs.append(try Transaction.sign(type: .firmware, body: firmware, key: chain.authority))
        txs.append(try Transaction.sign(type: .stamp, body: Stamp(height: 1, extranonce: 7, txs: 2).json, key: chain.miner))
        txs.append(contentsOf: chain.blocks[0].txs)
        return txs
    }

    @Test func everyKindOfTransactionIsReadAsTheGeneralReadReadsIt() throws {
        for tx in try Self.transactions() {
            #expect(Self.quick(tx.leaf) != nil, "\(String(decoding: tx.leaf, as: UTF8.self))")
            Self.expectSame(tx.leaf)
        }
    }

    /// Lines that are not canonical, or not valid, in each way the envelope
    /// can be off: the quick read refuses each one the general read refuses.
    @Test func offLinesAreRefusedByBoth() throws {
        let tx = try TestChain().signed(TestChain().reading(seq: 1))
        let line = String(decoding: tx.leaf, as: UTF8.self)
        let sig = Base64URL.encode(tx.signature)
        let edits: [(String, String)] = [
            ("{\"body\":", "{ \"body\":"), ("{\"body\":", "{\"body\" :"), (",\"v\":1}", ",\"v\":1 }"), (",\"v\":1}", ",\"v\":2}"),
            (",\"v\":1}", ",\"v\":1.0}"), (",\"v\":1}", ",\"v\":1,\"w\":0}"), ("\"type\":\"reading\"", "\"type\":\"Reading\""),
            ("\"type\":\"reading\"", "\"type\":\"readings\""), ("\"type\":\"reading\"", "\"type\":\"\""),
            ("\"type\":\"reading\"", "\"type\":\"read\\u0069ng\""), (sig, String(sig.dropLast()) + "B"), (sig, String(sig.dropLast())),
            (sig, "\\u00" + String(format: "%02x", sig.utf8.first ?? 0) + sig.dropFirst()), (",\"sig\":", ",\"sig\": "),
            ("\"value\":72", "\"value\":72.0"), ("\"value\":72", "\"value\":7.2e1"), ("\"seq\":1", "\"seq\":1,\"seq\":1"),
            ("\"device\":\"bed1\"", "\"device\":\"bed\\u0031\""), ("\"device\":\"bed1\",", ""), ("{\"body\":{", "{\"body\":{\"x\":0,"),
            ("Z\",\"type\"", "z\",\"type\""), (".000Z", ".00Z"),
        ]
        for (from, to) in edits {
            let edited = line.replacingOccurrences(of: from, with: to)
            #expect(edited != line, "\(from)")
            #expect(Self.quick(Array(edited.utf8)) == nil, "\(edited)")
            Self.expectSame(Array(edited.utf8))
        }
        for broken in ["", "{\"body\":", "{\"body\":,\"v\":1}", "{\"body\":{}}", String(line.dropLast()), String(line.dropFirst())] {
            Self.expectSame(Array(broken.utf8))
        }
        // Members moved: sig last, signer first.
        var reordered = tx.object
        reordered["v"] = 1
        let moved = line.replacingOccurrences(of: ",\"sig\":\"\(sig)\"", with: "").replacingOccurrences(of: ",\"v\":1}", with: ",\"v\":1,\"sig\":\"\(sig)\"}")
        #expect(Self.quick(Array(moved.utf8)) == nil)
        Self.expectSame(Array(moved.utf8))
    }

    /// Every byte of a few lines changed to a few others: both reads agree on each.
    @Test func byteFlipsAgree() throws {
        for tx in try Self.transactions().prefix(3) {
            for i in tx.leaf.indices {
                for replacement: UInt8 in [0x20, 0x22, 0x5c, 0x41, 0x31, tx.leaf[i] ^ 1] where replacement != tx.leaf[i] {
                    var line = tx.leaf
                    line[i] = replacement
                    Self.expectSame(line)
                }
            }
        }
    }

    /// A plain reading of every shape is kept as its `SensorReading`, and
    /// everything read from it (the body's JSON, its members one by one,
    /// seq, time, sealed or stored) is what the general read's JSON says.
    @Test func readingsAreKeptTypedAndReadAsTheirJSON() throws {
        let chain = try TestChain()
        func body(_ kind: String, _ unit: String, _ value: JSONValue, _ extra: [String: JSONValue] = [:]) -> JSONValue {
            var members: [String: JSONValue] = ["device": "bed \"9\" é", "patient": "P-\u{10000}", "seq": 9_007_199_254_740_992,
                                                "ts": "2026-02-28T23:59:59.999Z", "kind": .string(kind), "unit": .string(unit), "value": value]
            members.merge(extra) { _, new in new }
            return .object(members)
        }
        let bodies: [JSONValue] = [
            body("heart_rate", "/min", 72, ["pleth": 71.5]),
            body("temperature", "Cel", 36.55),
            body("spo2", "%", 97),
            body("resp_rate", "/min", 0),
            body("blood_pressure", "mm[Hg]", ["systolic": 120, "diastolic": 80]),
            body("blood_pressure", "mm[Hg]", ["systolic": 95, "diastolic": .null]),
            body("emg", "mV", 0.25, ["samples": [0.5, 1, 1e-7]]),
            body("consciousness", "1", "V"),
            body("oxygen", "1", true),
            body("heart_rate", "/min", .null, ["absent": "no-signal"]),
            body("spo2", "%", 99, ["mac": .string(String(repeating: "ab", count: 32))]),
        ]
        let names = SensorReading.fields.sorted() + ["sealed", "stored", "ref", "other"]
        for (i, b) in bodies.enumerated() {
            let tx = try chain.signed(b)
            guard let quick = Self.quick(tx.leaf), let general = Self.general(tx.leaf) else {
                Issue.record("body \(i) not read: \(String(decoding: tx.leaf, as: UTF8.self))")
                continue
            }
            #expect(quick.readBody != nil, "body \(i)")
            #expect(general.readBody == nil, "body \(i)")
            Self.expectSame(tx.leaf)
            for name in names {
                #expect(quick.bodyString(name) == general.body[name]?.stringValue, "body \(i), \(name)")
            }
            #expect(quick.bodySeq == general.body["seq"]?.integerValue && quick.bodyTime == general.bodyTime, "body \(i)")
            #expect(quick.subjectTime == general.subjectTime && quick.leaf == tx.leaf, "body \(i)")
            #expect(!quick.hasSealedBody && !quick.hasStoredBody && !general.hasSealedBody && !general.hasStoredBody, "body \(i)")
        }
    }
}
