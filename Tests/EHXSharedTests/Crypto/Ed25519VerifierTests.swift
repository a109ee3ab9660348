import Testing
@testable import EHXShared

extension CryptoTests {
    /// `Ed25519Verifier` checks signature after signature on one context,
    /// copied again only when the signer changes: every verdict must be the
    /// one-shot `PublicKey.isValidSignature`'s, whatever came before it
    /// (a valid or invalid signature, another signer's key).
    @Suite struct Ed25519VerifierTests {
        @Test func verdictsOnAReusedContextAreTheOneShotVerdicts() throws {
            let keys = try (0..<3).map { _ in try Ed25519.PrivateKey() }
            let verifier = Ed25519Verifier()
            for i in 0..<120 {
                let key = keys[i % 7 < 4 ? 0 : i % 3]
                let message = Array("reading \(i)".utf8)
                var signature = try key.signature(for: message)
                // Every third signature is forged by a flipped bit, or is another key's.
                if i % 3 == 1 { signature[i % 64] ^= 0x10 }
                let signer = i % 5 == 2 ? keys[(i + 1) % 3].publicKey : key.publicKey
                let expected = signer.isValidSignature(signature, for: message)
                #expect(verifier.isValidSignature(signature, for: message, signer: signer) == expected, "message \(i)")
                // And the same message again on the context just used.
                #expect(verifier.isValidSignature(signature, for: message, signer: signer) == expected, "message \(i) again")
            }
        }
    }
}
