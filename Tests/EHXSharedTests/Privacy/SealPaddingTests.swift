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
        let padded = SealPadding.pad(body.canonicalBytes(), to: SealPadding.bucket(for: body.canonicalBytes().count, type: .reading))
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

    /// An alert over 2048 bytes (many reasons, long ids): every view of it
    /// fills one bucket, so neither the ciphertexts nor the sealed body's
    /// length tell more than the bucket. Before, the research view (the
    /// identifying members cut) fell a bucket below the full view when
    /// the alert sat just over a boundary, which told its length to within
    /// the ids' size.
    @Test func largeAlertsShowOnlyTheirBucket() throws {
        let p = try PrivacyChain()
        func alert(reasons: Int, device: String) -> JSONValue {
            [
                "device": .string(device), "patient": "P-1", "seq": 9, "ts": "2026-11-26T10:00:00.000Z", "kind": "heart_rate",
                "value": 135, "level": "high",
                "reasons": .array((0..<reasons).map { .string("reason \($0): heart_rate 135 /min scores 3 on NEWS2 (>=131)") }),
                "ref": .string(String(repeating: "ab", count: 32)),
            ]
        }
        var sealedLengths: [Int: Set<Int>] = [:]
        var fullLengths: [Int] = []
        for reasons in stride(from: 28, through: 80, by: 2) {
            for device in ["b", String(repeating: "d", count: 120)] {
                let body = alert(reasons: reasons, device: device)
                let full = body.canonicalBytes().count
                fullLengths.append(full)
                let bucket = SealPadding.bucket(for: full, type: .alert)
                let (json, sealed) = try p.sealed(body, type: .alert)
                #expect(Set(sealed.views.values.map(\.ciphertext.count)) == [bucket + 16], "\(full) bytes")
                sealedLengths[bucket, default: []].insert(json.canonicalBytes().count)
                guard case .opened(_, let opened) = Sealing.open(sealed, kid: p.clinician.kid, key: p.clinician.enc, type: .alert, signer: p.chain.gateway.publicKey) else {
                    Issue.record("the clinician could not open a \(full)-byte alert"); continue
                }
                #expect(opened["reasons"]?.arrayValue?.count == reasons)
            }
        }
        // The sizes span the 2048 and 4096 boundaries.
        #expect(fullLengths.min()! < 2048 && fullLengths.contains { $0 > 2048 && $0 < 4096 } && fullLengths.max()! > 4096)
        // Within a bucket the sealed body is one length, whatever the alert's.
        for (bucket, lengths) in sealedLengths { #expect(lengths.count == 1, "bucket \(bucket): \(lengths.sorted())") }
    }
}
