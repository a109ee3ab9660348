@testable import EHXShared
import Testing

@Suite struct SealPaddingTests {
    @Test func bucketsAreFixedAndUnpaddingGivesTheJCSBack() throws {
        #expect(SealPadding.bucket(for: 1, type: .reading) == 512)
        #expect(SealPadding.bucket(for: 512, type: .reading) == 512)
        #expect(SealPadding.bucket(for: 513, type: .reading) == 1024)
        #expect(SealPadding.bucket(for: 300, type: .alert) == 2048)
        #expect(SealPadding.bucket(for: 5000, type: .alert) == 8192)
        let body: JSONValue = ["kind": "oxygen", "value": true]
        let padded = SealPadding.pad(body.canonicalBytes(), type: .reading)
        #expect(padded.count == 512)
        #expect(Array(SealPadding.unpad(padded)) == body.canonicalBytes())
    }

    /// Sealed through the library: equal lengths across values of one kind.
    @Test func valuesOfAKindSealToOneLength() throws {
        let p = try PrivacyChain()
        var lengths: Set<Int> = []
        for (seq, value) in [(1, 72.0), (22, 135.0), (333_333, 1.0), (9_000_000_000, 350.0)] {
            let (_, sealed) = try p.sealed(p.chain.reading(device: "bed12-hr", seq: Int64(seq), value: value))
            for envelope in sealed.views.values { lengths.insert(envelope.ciphertext.count) }
            let opened = Sealing.open(sealed, kid: p.clinician.kid, key: p.clinician.enc, type: .reading, signer: p.chain.gateway.publicKey)
            guard case .opened(_, let json) = opened else { Issue.record("\(opened)"); continue }
            #expect(json["value"]?.numberValue == value)
        }
        #expect(lengths == [512 + 16])
    }
}
