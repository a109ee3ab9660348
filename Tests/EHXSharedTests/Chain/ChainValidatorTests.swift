import Testing
@testable import EHXShared

/// Each rule of the validator, broken on purpose on an otherwise valid chain.
@Suite struct ChainValidatorTests {
    func rules(_ problems: [ChainProblem]?) -> Set<ChainProblem.Rule> { Set((problems ?? []).map(\.rule)) }

    @Test func aValidChainHasNoProblems() throws {
        var chain = try TestChain()
        _ = try chain.append([try chain.signed(chain.reading(seq: 1)), try chain.signed(chain.reading(seq: 2))])
        _ = try chain.append([try chain.signed(chain.reading(device: "bed2", seq: 1))])
        #expect(chain.validate().isEmpty)
    }

    @Test func linkHeightAndHashAreChecked() throws {
        var chain = try TestChain()
        _ = try chain.append([try chain.signed(chain.reading(seq: 1))])
        let b2 = try chain.append([try chain.signed(chain.reading(seq: 2))])
        _ = try chain.append([try chain.signed(chain.reading(seq: 3))])
        // Drop block 2: block 3 no longer links.
        var dropped = chain.blocks
        dropped.remove(at: 2)
        #expect(rules(chain.validate(dropped)[3]).isSuperset(of: [.prev, .height]))
        // A block whose claimed hash is not its header's.
        let lying = Block(height: 2, header: b2.header, txs: b2.txs)
        var json = lying.json.objectValue ?? [:]
        json["hash"] = .string(SHA256Digest.zero.displayHex)
        let forged = try Block(parsing: .object(json))
        var list = chain.blocks
        list[2] = forged
        #expect(rules(chain.validate(list)[2]) == [.hash])
    }

    @Test func bitsPowAndMerkleAreChecked() throws {
        var chain = try TestChain()
        let b1 = try chain.append([try chain.signed(chain.reading(seq: 1))])
        var header = b1.header
        header.bits = 0x1f00ffff
        var list = chain.blocks
        list[1] = Block(height: 1, header: header, txs: b1.txs)
        #expect(rules(chain.validate(list)[1]).isSuperset(of: [.bits]))
        // Swap the order of txs after the stamp: the Merkle root no longer matches.
        let b2 = try chain.append([try chain.signed(chain.reading(seq: 2)), try chain.signed(chain.reading(seq: 3))])
        list = chain.blocks
        list[2] = Block(height: 2, header: b2.header, txs: [b2.txs[0], b2.txs[2], b2.txs[1]])
        #expect(rules(chain.validate(list)[2]).contains(.merkle))
        // A header that does not meet a hard target.
        var hard = b2.header
        hard.bits = 0x1d00ffff
        let weak = try TestChain.mine(b2.txs, height: 2, prev: b2.header.prev, time: b2.header.time, bits: TestChain.easyBits)
        let relabeled = Block(height: 2, header: BlockHeader(version: 1, prev: weak.header.prev, merkle: weak.header.merkle, time: weak.header.time, bits: hard.bits, nonce: weak.header.nonce), txs: b2.txs)
        list[2] = relabeled
        #expect(rules(chain.validate(list)[2]).isSuperset(of: [.pow, .bits]))
    }

    @Test func stampRulesHold() throws {
        var chain = try TestChain()
        let b1 = try chain.append([try chain.signed(chain.reading(seq: 1))])
        // Without its stamp.
        let unstamped = try TestChain.mine(Array(b1.txs.dropFirst()), height: 1, prev: b1.header.prev, time: b1.header.time, bits: TestChain.easyBits)
        #expect(rules(chain.validate([chain.blocks[0], unstamped])[1]).contains(.stamp))
        // Stamped by a key that is not a miner.
        var other = try TestChain()
        other.blocks = [chain.blocks[0]]
        _ = try other.append([try chain.signed(chain.reading(seq: 1))], stampedBy: chain.gateway)
        #expect(rules(chain.validate(other.blocks)[1]).contains(.role))
    }

    @Test func signaturesRolesDuplicatesAndReplays() throws {
        var chain = try TestChain()
        let r1 = try chain.signed(chain.reading(seq: 5))
        _ = try chain.append([r1])
        // Unauthorized signer (no role).
        let stranger = try Ed25519.PrivateKey()
        _ = try chain.append([try chain.signed(chain.reading(seq: 6), by: stranger)])
        #expect(rules(chain.validate()[2]) == [.role])
        chain.blocks.removeLast()
        // The same transaction again.
        _ = try chain.append([r1])
        #expect(rules(chain.validate()[2]).contains(.duplicateTxid))
        chain.blocks.removeLast()
        // Same device and seq, different content: a replay.
        _ = try chain.append([try chain.signed(chain.reading(seq: 5, ts: "2026-11-26T10:00:01.000Z"))])
        #expect(rules(chain.validate()[2]) == [.replay])
        chain.blocks.removeLast()
        // A forged signature.
        var forged = try chain.signed(chain.reading(seq: 7)).object
        forged["sig"] = .string(Base64URL.encode(try stranger.signature(for: [1, 2, 3])))
        _ = try chain.append([try Transaction(parsing: .object(forged))])
        #expect(rules(chain.validate()[2]) == [.signature])
    }

    @Test func keyGrantsTakeEffectFromTheNextBlock() throws {
        var chain = try TestChain()
        let nurse = try Ed25519.PrivateKey()
        let grant = try chain.signed(KeyChange(action: .grant, role: .gateway, key: nurse.publicKey).json, type: .key, by: chain.authority)
        _ = try chain.append([grant, try chain.signed(chain.reading(device: "n", seq: 1), by: nurse)])
        #expect(rules(chain.validate()[1]) == [.role])
        chain.blocks.removeLast()
        _ = try chain.append([grant])
        _ = try chain.append([try chain.signed(chain.reading(device: "n", seq: 1), by: nurse)])
        #expect(chain.validate().isEmpty)
        // Revoked: refused from the block after the revocation.
        let revoke = try chain.signed(KeyChange(action: .revoke, role: .gateway, key: nurse.publicKey).json, type: .key, by: chain.authority)
        _ = try chain.append([revoke])
        _ = try chain.append([try chain.signed(chain.reading(device: "n", seq: 2), by: nurse)])
        #expect(rules(chain.validate()[4]) == [.role])
        // Only the authority may grant.
        _ = try chain.append([try chain.signed(KeyChange(action: .grant, role: .miner, key: nurse.publicKey).json, type: .key, by: chain.gateway)])
        #expect(rules(chain.validate()[5]) == [.role])
    }

    @Test func blockTimesFollowMedianAndClock() throws {
        var chain = try TestChain()
        for seq in 1...3 { _ = try chain.append([try chain.signed(chain.reading(seq: Int64(seq)))]) }
        let tip = chain.blocks[3]
        let stamp = try Transaction.sign(type: .stamp, body: Stamp(height: 4, extranonce: 0).json, key: chain.miner)
        let early = try TestChain.mine([stamp], height: 4, prev: tip.header.hash, time: chain.blocks[1].header.time, bits: TestChain.easyBits)
        #expect(rules(chain.validate(chain.blocks + [early])[4]) == [.timeMedian])
        let future = try TestChain.mine([stamp], height: 4, prev: tip.header.hash, time: UInt32(chain.clock + 3 * 3600), bits: TestChain.easyBits)
        #expect(rules(chain.validate(chain.blocks + [future])[4]) == [.timeFuture])
    }

    @Test func genesisMustBeSignedByItsAuthorityAndComeFirst() throws {
        let chain = try TestChain()
        let impostor = try Ed25519.PrivateKey()
        let genesisTx = chain.blocks[0].txs[0]
        let forgedTx = try Transaction.sign(type: .genesis, body: genesisTx.body, key: impostor)
        let forged = try TestChain.mine([forgedTx], height: 0, prev: .zero, time: UInt32(chain.clock), bits: TestChain.easyBits)
        #expect(rules(chain.validate([forged])[0]).contains(.genesis))
        var second = chain
        _ = try second.append([])
        #expect(rules(chain.validate([second.blocks[1]])[1]).contains(.genesis))
    }

    @Test func candidateAdmitsWhatTheValidatorAccepts() throws {
        var chain = try TestChain()
        _ = try chain.append([try chain.signed(chain.reading(seq: 1))])
        var validator = ChainValidator(now: chain.clock)
        for b in chain.blocks { #expect(validator.add(b, lineBytes: 100).isEmpty) }
        var candidate = validator.candidate()
        #expect(candidate.admit(try chain.signed(chain.reading(seq: 2))).isEmpty)
        #expect(rules(candidate.admit(try chain.signed(chain.reading(seq: 2, ts: "2026-11-26T11:00:00.000Z")))) == [.replay])
        #expect(rules(candidate.admit(try chain.signed(chain.reading(seq: 1, value: 80)))) == [.replay])
        #expect(rules(candidate.admit(try chain.signed(chain.reading(seq: 9), by: try Ed25519.PrivateKey()))) == [.role])
        #expect(candidate.transactions.count == 1)
    }
}

@Suite struct ChainValidatorMissingGenesisTests {
    @Test func anUnreadableGenesisIsReportedOnceNotPerTransaction() throws {
        var chain = try TestChain()
        for seq in 1...3 { _ = try chain.append([try chain.signed(chain.reading(seq: Int64(seq)))]) }
        var validator = ChainValidator(now: chain.clock)
        validator.skipUnreadableBlock()
        var all: [ChainProblem] = []
        for block in chain.blocks.dropFirst() { all += validator.add(block, lineBytes: 100) }
        #expect(all.map(\.rule) == [.genesis])
    }
}
