import Testing
@testable import EHXShared

extension CryptoTests {
    /// `Ed25519Signer` reuses one initialised context per thread; Ed25519 is
    /// deterministic, so it must give exactly `PrivateKey.signature(for:)`.
    @Suite struct Ed25519SignerTests {
        @Test(.enabled(if: SharedFiles.exists(Ed25519VectorTests.rfcFile)))
        func rfc8032Section71() throws {
            let cases = try #require(SharedFiles.json(Ed25519VectorTests.rfcFile) as? [[String: Any]])
            #expect(cases.count >= 4)
            for entry in cases {
                let name = entry["name"] as? String ?? "?"
                let seed = try #require(Hex.decode(entry["secret_key"] as? String ?? "x"))
                let message = try #require(Hex.decode(entry["message"] as? String ?? "x"))
                let signature = try #require(Hex.decode(entry["signature"] as? String ?? "x"))
                let signer = Ed25519Signer(key: try Ed25519.PrivateKey(seed: seed))
                // Twice: the second signature comes from a reused context.
                #expect(try signer.signature(for: message) == signature, "\(name): first signature")
                #expect(try signer.signature(for: message) == signature, "\(name): reused context")
            }
        }

        @Test func equalsPrivateKeySignatureForManyMessages() throws {
            let key = try Ed25519.PrivateKey()
            let signer = Ed25519Signer(key: key)
            #expect(signer.publicKey == key.publicKey)
            #expect(signer.publicKeyText == Base64URL.encode(key.publicKey.rawRepresentation))
            var message: [UInt8] = []
            for length in 0..<300 {
                let signature = try signer.signature(for: message)
                #expect(signature == (try key.signature(for: message)), "length \(length)")
                #expect(key.publicKey.isValidSignature(signature, for: message))
                message.append(UInt8(truncatingIfNeeded: length &* 31 &+ 7))
            }
        }

        @Test func perWorkerSignersAgreeAcrossThreads() throws {
            let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: 9, count: 32))
            let signers = PerWorker(workers: 4) { Ed25519Signer(key: key) }
            #expect(signers[4] == nil)
            #expect(signers[-1] == nil)
            let messages = (0..<200).map { Array("reading \($0)".utf8) }
            let parallel = ParallelStage.map(messages, threads: 4) { worker, message -> [UInt8]? in
                try? signers[worker]?.signature(for: message)
            }
            for (message, signature) in zip(messages, parallel) {
                #expect(signature == (try key.signature(for: message)))
            }
        }

        @Test func transactionWithSignerIsByteIdentical() throws {
            let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: 3, count: 32))
            let other = try Ed25519.PrivateKey(seed: [UInt8](repeating: 4, count: 32))
            let ts = try #require(Timestamp(rfc3339: "2026-11-26T10:00:00.000Z"))
            let body: JSONValue = ["device": "bed01-hr", "patient": "P-0001", "seq": 1, "ts": "2026-11-26T09:59:59.000Z",
                                   "kind": "heart_rate", "value": 72, "unit": "/min"]
            let plain = try Transaction.signWithLeaf(type: .reading, body: body, ts: ts, key: key)
            let fast = try Transaction.signWithLeaf(type: .reading, body: body, ts: ts, key: key, signer: Ed25519Signer(key: key))
            // A signer for another key is not used: the key decides.
            let mismatched = try Transaction.signWithLeaf(type: .reading, body: body, ts: ts, key: key, signer: Ed25519Signer(key: other))
            #expect(fast.leaf == plain.leaf)
            #expect(mismatched.leaf == plain.leaf)
            #expect(fast.transaction.txid == plain.transaction.txid)
            #expect(fast.transaction.hasValidSignature)
        }
    }
}
