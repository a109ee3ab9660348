import Testing
@testable import EHXShared

@Suite struct RecordsTransactionTests {
    @Test func signatureCoversDomainAndCanonicalBytes() throws {
        let chain = try TestChain()
        let tx = try chain.signed(chain.reading(seq: 1))
        #expect(tx.hasValidSignature)
        #expect(tx.txid == SHA256.hash(tx.unsignedBytes))
        let message = Array("ehx-tx-v1\n".utf8) + tx.unsignedBytes
        #expect(chain.gateway.publicKey.isValidSignature(tx.signature, for: message))
        #expect(!chain.gateway.publicKey.isValidSignature(tx.signature, for: tx.unsignedBytes))
        // The leaf is the whole tx, sig included; the txid is not.
        let reparsed = try Transaction(parsing: try JSONValue.parse(tx.leaf))
        #expect(reparsed.txid == tx.txid && reparsed.hasValidSignature)
    }

    @Test func anyChangeBreaksTheSignature() throws {
        let chain = try TestChain()
        var members = try chain.signed(chain.reading(seq: 1)).object
        members["body"] = chain.reading(seq: 1, value: 73)
        #expect(!(try Transaction(parsing: .object(members))).hasValidSignature)
    }

    @Test func refusesBadEnvelopesAndBodies() throws {
        let chain = try TestChain()
        let members = try chain.signed(chain.reading(seq: 1)).object
        func field(_ change: (inout [String: JSONValue]) -> Void) -> String? {
            var m = members
            change(&m)
            do throws(RecordError) { _ = try Transaction(parsing: .object(m)); return nil } catch { return error.field }
        }
        #expect(field { $0["type"] = "payment" } == "type")
        #expect(field { $0["v"] = 2 } == "v")
        #expect(field { $0["sig"] = "AAAA" } == "sig")
        #expect(field { $0["signer"] = "not base64!" } == "signer")
        #expect(field { $0["extra"] = 1 } == "extra")
        #expect(field { $0["body"] = chain.reading(seq: 1, value: 999) } == "body.value")
        #expect(field { $0["type"] = "stamp" } == "body.device")
        #expect(throws: RecordError.self) { try chain.signed(["height": 1], type: .stamp) }
    }
}
