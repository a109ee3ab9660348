import Testing
@testable import EHXShared

/// The rule on the chain: a grant, genesis or policy bringing in a weak
/// key breaks `weak-key`, and the key gets no role.
@Suite struct WeakKeyChainTests {
    func rules(_ problems: [ChainProblem]?) -> Set<ChainProblem.Rule> { Set((problems ?? []).map(\.rule)) }

    @Test func aGrantOfTheIdentityPointIsRefused() throws {
        var chain = try TestChain()
        let identity = try WeakKeyTests.ed25519(WeakKeyTests.canonicalSmallOrder[0])
        let grant = try chain.signed(KeyChange(action: .grant, role: .gateway, key: identity).json, type: .key, by: chain.authority)
        _ = try chain.append([grant])
        // The forger's reading: R = identity, S = 0, which libcrypto accepts.
        let reading = chain.reading(seq: 1)
        let forged = try ForgedTransaction.signedByIdentity(reading)
        _ = try chain.append([forged])
        let found = chain.validate()
        #expect(rules(found[1]) == [.weakKey])
        #expect(rules(found[2]) == [.role], "the weak key never got its role")
    }

    @Test func aLowOrderEncryptionKeyIsRefused() throws {
        var chain = try TestChain()
        let reader = try Ed25519.PrivateKey()
        let low = try #require(Hex.decode(WeakKeyTests.lowOrderX25519[2]))
        let grant = try chain.signed(KeyChange(action: .grant, role: .clinician, key: reader.publicKey, encryptionKey: low).json,
                                     type: .key, by: chain.authority)
        _ = try chain.append([grant])
        #expect(rules(chain.validate()[1]) == [.weakKey])
        var validator = ChainValidator(now: chain.clock)
        for block in chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        #expect(validator.state.encryptionKey(of: reader.publicKey) == nil)
    }

    @Test func aWeakEmergencyKeyIsRefused() throws {
        var chain = try TestChain()
        let policy: JSONValue = ["read": ["clinician": ["*"]], "emergency": .string(Base64URL.encode([UInt8](repeating: 0, count: 32)))]
        _ = try chain.append([try chain.signed(policy, type: .policy, by: chain.authority)])
        #expect(rules(chain.validate()[1]) == [.weakKey])
    }

    @Test func aMinerRefusesAWeakGrant() throws {
        let chain = try TestChain()
        var validator = ChainValidator(now: chain.clock)
        for block in chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        let identity = try WeakKeyTests.ed25519(WeakKeyTests.nonCanonicalSmallOrder[4])
        let grant = try chain.signed(KeyChange(action: .grant, role: .miner, key: identity).json, type: .key, by: chain.authority)
        var candidate = validator.candidate()
        #expect(rules(candidate.admit(grant)) == [.weakKey])
    }
}

/// A transaction "signed" by the identity point: R = identity, S = 0.
enum ForgedTransaction {
    static func signedByIdentity(_ body: JSONValue) throws -> Transaction {
        let identity = Base64URL.encode(try #require(Hex.decode(WeakKeyTests.canonicalSmallOrder[0])))
        let signature = Base64URL.encode(try #require(Hex.decode(WeakKeyTests.canonicalSmallOrder[0])) + [UInt8](repeating: 0, count: 32))
        let json: JSONValue = ["v": 1, "type": "reading", "ts": "2026-11-26T10:00:01.000Z", "signer": .string(identity),
                               "body": body, "sig": .string(signature)]
        return try Transaction(parsing: json)
    }
}
