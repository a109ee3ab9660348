import Testing
@testable import EHXShared

/// A rules-2 reading's key is hashed from the body's bytes inside the
/// transaction's own canonical form instead of a second serialization of
/// the body (issue 19); it must stay the key the format defines.
@Suite struct ReadingKeyTests {
    /// The definition spelled out (ehx.7, THE RULES), serializing the body anew.
    static func defined(_ tx: Transaction) -> SHA256Digest? {
        guard tx.type == .reading, let device = tx.body["device"]?.stringValue, let seq = tx.body["seq"]?.integerValue else { return nil }
        let ref = SealedBody.isSealed(tx.body) ? "sealed" : SHA256.hash(tx.body.canonicalBytes()).hex
        return SHA256.hash(Array("ehx-reading-key\n".utf8) + Array(device.utf8) + Array("\n\(seq)\n\(ref)".utf8))
    }

    /// Devices whose canonical form escapes or reorders, and plain ones.
    static let devices = ["bed1", "bed \"7\" \\ east", "bed-\u{e9}", "bed-e\u{301}", "\u{10000}-\u{e000}"]

    @Test(arguments: devices)
    func signedAndParsedReadingsKeepTheDefinedKey(_ device: String) throws {
        let chain = try TestChain()
        var body = chain.reading(device: device, seq: 41).objectValue ?? [:]
        body["pleth"] = 71.5
        let signed = try chain.signed(.object(body))
        let parsed = try Transaction(parsing: try JSONValue.parse(signed.leaf))
        let (withLeaf, _) = try Transaction.parseWithLeaf(try JSONValue.parse(signed.leaf))
        for tx in [signed, parsed, withLeaf] {
            #expect(Array(tx.bodyBytes) == tx.body.canonicalBytes())
            let key = try #require(ChainState.ownReadingKey(tx))
            #expect(key == Self.defined(tx))
        }
    }

    @Test func anAlertNamesTheReadingByTheSameKey() throws {
        let chain = try TestChain()
        let tx = try chain.signed(chain.reading(device: "bed \"7\"", seq: 3))
        let ref = SHA256.hash(tx.body.canonicalBytes()).hex
        #expect(ChainState.readingKey(device: "bed \"7\"", seq: 3, ref: ref) == ChainState.ownReadingKey(tx))
        #expect(ChainState.readingKey(device: "d", seq: 9, ref: nil)
            == SHA256.hash(Array("ehx-reading-key\nd\n9\nsealed".utf8)))
    }

    /// Any body, not only a reading's: the located bytes are the body's
    /// canonical form wherever it sorts and whatever it holds.
    @Test func bodyBytesAreTheBodysCanonicalForm() throws {
        let chain = try TestChain()
        let bodies: [JSONValue] = [
            ["action": "grant", "role": "gateway", "key": .string(Base64URL.encode(chain.gateway.publicKey.rawRepresentation))],
            ["vendor": "V\u{e000}", "model": "m\u{10000}", "version": "1.0", "size": 3,
             "sha256": .string(String(repeating: "ab", count: 32))],
        ]
        for (body, type) in zip(bodies, [TxType.key, .firmware]) {
            let tx = try Transaction.sign(type: type, body: body, key: chain.authority)
            #expect(Array(tx.bodyBytes) == body.canonicalBytes())
            let parsed = try Transaction(parsing: try JSONValue.parse(tx.leaf))
            #expect(Array(parsed.bodyBytes) == body.canonicalBytes())
        }
    }
}
