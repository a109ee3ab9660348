import Testing
@testable import EHXShared

/// The envelope written member by member (issue 19) must be byte for byte
/// the general canonical writer's, for every body the checks accept.
@Suite struct TransactionLayoutTests {
    static func general(_ tx: Transaction) -> (full: [UInt8], without: [UInt8]) {
        let forms = JSONValue.canonicalObject(tx.object, omitting: "sig")
        return (forms.full, forms.without)
    }

    @Test func envelopesAreTheGeneralCanonicalForm() throws {
        let chain = try TestChain()
        var readings: [JSONValue] = [chain.reading(device: #"bed "7" \ é"#, seq: 5), chain.reading(device: "\u{10000}\u{e000}", seq: 1 << 52, value: 31.25)]
        var absent = chain.reading(seq: 2).objectValue ?? [:]
        absent["value"] = .null
        absent["absent"] = "leads-off"
        absent["pleth"] = 80
        readings.append(.object(absent))
        let pressure: JSONValue = ["device": "cuff", "patient": #"P-\x"#, "seq": 3, "ts": "2026-11-26T10:00:00.000Z",
                                   "kind": "blood_pressure", "value": ["systolic": 120, "diastolic": .null], "unit": "mm[Hg]"]
        readings.append(pressure)
        let firmware: JSONValue = ["vendor": "V\"", "model": "m", "version": "1", "size": 0, "sha256": .string(String(repeating: "0f", count: 32))]
        var txs = try readings.map { try chain.signed($0) }
        txs.append(try Transaction.sign(type: .firmware, body: firmware, key: chain.authority))
        txs.append(try Transaction.sign(type: .stamp, body: Stamp(height: 1, extranonce: 7, txs: 2).json, key: chain.miner))
        for tx in txs {
            let general = Self.general(tx)
            let parsed = try Transaction.parseWithLeaf(try JSONValue.parse(general.full))
            #expect(parsed.leaf == general.full)
            #expect(parsed.transaction.unsignedBytes == general.without)
            #expect(tx.unsignedBytes == general.without && tx.leaf == general.full)
            let forms = try #require(TransactionLayout.forms(tx.object, body: tx.body.canonicalBytes()))
            #expect(forms.full == general.full && forms.unsigned == general.without)
            #expect(Array(forms.full[forms.sigValue]) == JSONValue.string(Base64URL.encode(tx.signature)).canonicalBytes())
        }
    }

    /// Anything but the six members with a `v` of 1 is left to the general writer.
    @Test func otherEnvelopesAreLeftToTheGeneralWriter() throws {
        let chain = try TestChain()
        let tx = try chain.signed(chain.reading(seq: 1))
        let body = tx.body.canonicalBytes()
        var extra = tx.object
        extra["x"] = 1
        var two = tx.object
        two["v"] = 2
        var missing = tx.object
        missing["ts"] = nil
        var number = tx.object
        number["sig"] = 5
        for members in [extra, two, missing, number] {
            #expect(TransactionLayout.forms(members, body: body) == nil)
        }
    }
}
