import Foundation
import Testing
@testable import EHXShared

/// The one header check and those that call it: the validator, the light
/// client's header chain, inclusion proofs, and the miner's own block.
@Suite struct HeaderCheckTests {
    /// Core's CheckProofOfWork refuses bits easier than the chain's limit
    /// even when the hash meets them; a harder target is fine.
    @Test func bitsEasierThanTheLimitAreRefused() throws {
        let limit = try CompactTarget(bits: 0x1f00_ffff)
        var header = BlockHeader(version: 1, prev: .zero, merkle: .zero, time: 1, bits: 0x207f_ffff, nonce: 0)
        header = try #require(NonceSearch.search(header, target: try CompactTarget(bits: 0x207f_ffff), from: 0, through: .max))
        #expect(HeaderCheck.proofOfWork(hash: header.hash, bits: header.bits, limit: nil) == nil)
        #expect(HeaderCheck.proofOfWork(hash: header.hash, bits: header.bits, limit: limit)?.rule == .bits)
        #expect(try CompactTarget(bits: 0x1e00_ffff).isEasier(than: limit) == false)
        #expect(try CompactTarget(bits: 0x207f_ffff).isEasier(than: limit))
        #expect(HeaderCheck.proofOfWork(hash: header.hash, bits: 0x0100_0000, limit: limit)?.rule == .bits)
    }

    /// A light client's header chain of an honest chain passes; its first
    /// block re-mined at the easiest bits (a forger's cheap branch) fails
    /// with `bits` whether or not the genesis line carries the rules.
    @Test func headerChainHoldsHeadersToTheGenesisLimit() throws {
        var chain = try TestChain(bits: 0x1f00_ffff)
        for s in 1...2 { _ = try chain.append([try chain.signed(chain.reading(seq: Int64(s)))]) }
        var honest = HeaderChain()
        for (i, b) in chain.blocks.enumerated() { honest.add(HeaderLine(block: b), number: i + 1) }
        #expect(honest.problems.isEmpty, "\(honest.problems)")
        #expect(honest.knowsRules && honest.genesisSigner == chain.authority.publicKey)
        #expect(honest.work == chain.blocks.reduce(ChainWork.zero) { $0 + ChainWork(of: try! CompactTarget(bits: $1.header.bits)) })

        let cheap = try TestChain.mine([try chain.signed(chain.reading(seq: 99))], height: 1, prev: chain.blocks[0].header.hash,
                                       time: chain.blocks[1].header.time, bits: 0x207f_ffff)
        for withRules in [true, false] {
            var forged = HeaderChain()
            let genesis = HeaderLine(block: chain.blocks[0])
            forged.add(withRules ? genesis : try HeaderLine(parsing: ["height": 0, "hash": .string(genesis.hash.displayHex),
                                                                       "header": .string(Hex.encode(genesis.header.serialized))]), number: 1)
            forged.add(HeaderLine(block: cheap), number: 2)
            #expect(forged.problems.count == 1 && forged.problems[0].contains("bits"), "\(forged.problems)")
        }
    }

    /// The genesis line's transaction must be the genesis header's own.
    @Test func genesisLineMustMatchItsHeader() throws {
        let chain = try TestChain()
        let other = try TestChain()
        var json = HeaderLine(block: chain.blocks[0]).json.objectValue ?? [:]
        json["genesis"] = other.blocks[0].txs[0].json
        var headers = HeaderChain()
        headers.add(try HeaderLine(parsing: .object(json)), number: 1)
        #expect(!headers.knowsRules && headers.genesisSigner == nil)
        #expect(headers.problems.contains { $0.contains("merkle") }, "\(headers.problems)")
    }

    /// One unreadable line is reported once: the next blocks' median time
    /// counts the lost block's time as the earliest it could be, not as
    /// missing (which can raise the median over an honest block's time).
    @Test func damagedLineIsNotReportedAgainAsTimeMedian() throws {
        var chain = try TestChain()
        let t0 = chain.clock
        for (seq, offset) in [Int64(100), 200, 150, 160, 155].enumerated() {
            chain.clock = t0 + offset - 60
            _ = try chain.append([try chain.signed(chain.reading(seq: Int64(seq)))])
        }
        #expect(chain.validate().isEmpty)
        var validator = ChainValidator(now: chain.clock)
        var problems: [ChainProblem] = []
        for block in chain.blocks {
            if block.height == 1 {
                validator.skipUnreadableBlock()
                continue
            }
            problems += validator.add(block, lineBytes: block.canonicalLine.count)
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// A stamp that states a size other than its block's is refused; one
    /// that states none (written before stamps did) is accepted.
    @Test func stampStatesItsBlocksSize() throws {
        var chain = try TestChain()
        _ = try chain.append([try chain.signed(chain.reading(seq: 1))])
        #expect(chain.validate().isEmpty)
        let tip = chain.blocks[1]
        for (count, ok) in [(Int64?.none, true), (3, false), (2, true)] {
            let stamp = try Transaction.sign(type: .stamp, body: Stamp(height: 2, extranonce: 0, txs: count).json, key: chain.miner)
            let block = try TestChain.mine([stamp, try chain.signed(chain.reading(seq: 2))], height: 2, prev: tip.header.hash,
                                           time: tip.header.time + 60, bits: TestChain.easyBits)
            let problems = chain.validate(Array(chain.blocks) + [block])[2] ?? []
            #expect(problems.isEmpty == ok && problems.allSatisfy { $0.rule == .stamp }, "txs \(String(describing: count)): \(problems)")
        }
    }

    /// A miner's validator started hours ago judges its new block by the
    /// live clock: a fixed start time would call the block from the future.
    @Test func minerJudgesItsBlockByTheLiveClock() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-clock-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var chain = try TestChain()
        chain.clock = Timestamp.now().unixSeconds - 60
        let path = dir.appendingPathComponent("chain.jsonl").path
        let genesis = try TestChain.mine(chain.blocks[0].txs, height: 0, prev: .zero, time: UInt32(chain.clock), bits: TestChain.easyBits)
        try ChainFile.create(path: path, firstLine: genesis.canonicalLine)
        let file = try ChainFile(lockingForAppend: path, wait: false)
        var validator = ChainValidator(now: Timestamp.now().unixSeconds)
        #expect(validator.add(genesis, lineBytes: genesis.canonicalLine.count).isEmpty)
        validator.now -= 3 * 3600 // as if the miner had started 3 hours ago
        var candidate = validator.candidate()
        #expect(candidate.admit(try chain.signed(chain.reading(seq: 1))).isEmpty)
        let block = try validator.mineAndAppend(candidate, to: file, key: chain.miner, threads: 1)
        #expect(block.height == 1)
    }
}
