import Foundation
import Testing
@testable import EHXShared

/// Spool mining in process: a run that dies after each step that changes
/// the chain or the spool, then a second run, leaves every good transaction
/// on the chain exactly once, the spool empty and the bad entry rejected.
@Suite struct SpoolMinerTests {
    struct Killed: Error {}

    struct Setup {
        let dir: String
        var chainPath: String { dir + "/chain.jsonl" }
        var spoolPath: String { dir + "/spool" }
        let spool: Spool
        var good: [SHA256Digest] = []
        let diagnostics = Diagnostics(tool: "test", quiet: true)

        init(goodCount: Int) throws {
            var chain = try TestChain()
            dir = NSTemporaryDirectory() + "ehx-spoolminer-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // One transaction already on the chain: a run killed after its
            // append left its entry behind.
            let early = try chain.signed(chain.reading(device: "bed9", seq: 1))
            _ = try chain.append([early])
            try Data(chain.blocks.flatMap(\.canonicalLine)).write(to: URL(fileURLWithPath: dir + "/chain.jsonl"))
            spool = try Spool(path: dir + "/spool", create: true)
            try spool.deposit(early.leaf + [0x0a], txid: early.txid)
            for seq in 1...goodCount {
                let tx = try chain.signed(chain.reading(seq: Int64(seq)))
                good.append(tx.txid)
                try spool.deposit(tx.leaf + [0x0a], txid: tx.txid)
            }
            good.append(early.txid)
            // Signed by a key without a role: rejected.
            let stranger = try Ed25519.PrivateKey()
            let bad = try chain.signed(chain.reading(device: "bed5", seq: 1), by: stranger)
            try spool.deposit(bad.leaf + [0x0a], txid: bad.txid)
            self.miner = chain.miner
        }

        let miner: Ed25519.PrivateKey

        func run(budget maxTxs: Int, killAt: SpoolMiner.Step? = nil) throws -> SpoolMiner.Outcome {
            let file = try ChainFile(lockingForAppend: chainPath, wait: false)
            var local = try LocalChain.open(chain: chainPath, now: Timestamp.now().unixSeconds, threads: 2, diagnostics: diagnostics)
            let rules = try #require(local.state.rules)
            var miner = SpoolMiner(spool: spool, budget: BlockBudget(rules: rules, maxTxs: maxTxs, maxBytes: nil), minTxs: 1,
                                   key: self.miner, threads: 2, diagnostics: diagnostics)
            miner.afterStep = { step in if step == killAt { throw Killed() } }
            return try miner.run(local: &local, file: file) { _ in }
        }

        func chainTxids() throws -> [SHA256Digest: Int] {
            var counts: [SHA256Digest: Int] = [:]
            try ChainReader.forEachBlock(path: chainPath) { (_, block, _) throws(ToolError) in
                for tx in block.txs where tx.type == .reading { counts[tx.txid, default: 0] += 1 }
            }
            return counts
        }

        func names(_ sub: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: spoolPath + "/" + sub)) ?? []).sorted()
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test(arguments: [SpoolMiner.Step.retiredOnChain, .appended, .retiredMined, .movedRejects])
    func aRunKilledAtAnyStepIsFinishedByTheNext(_ step: SpoolMiner.Step) throws {
        let setup = try Setup(goodCount: 5)
        defer { setup.remove() }
        #expect(throws: Killed.self) { try setup.run(budget: 3, killAt: step) }
        let outcome = try setup.run(budget: 3)
        let counts = try setup.chainTxids()
        #expect(Set(counts.keys) == Set(setup.good), "every good transaction on the chain")
        #expect(counts.values.allSatisfy { $0 == 1 }, "none twice")
        #expect(setup.names("new").isEmpty, "the spool is empty")
        #expect(setup.names("rejected").count == 2, "the bad entry and its reason")
        #expect(outcome.rejected == 1 && outcome.status == .dataErr, "the bad entry is judged by the second run")
        // The chain the two runs made verifies from scratch.
        try? FileManager.default.removeItem(atPath: setup.chainPath + ".state")
        _ = try LocalChain.open(chain: setup.chainPath, now: Timestamp.now().unixSeconds, threads: 1, diagnostics: setup.diagnostics)
    }

    @Test func oneBudgetBoundsEveryBlock() throws {
        let chain = try TestChain()
        let rules = try #require(try ChainRules(parsing: chain.blocks[0].txs[0].body))
        let budget = BlockBudget(rules: rules, maxTxs: 2, maxBytes: 1000)
        var candidate = ChainValidator(now: chain.clock).candidate()
        #expect(budget.fits(candidate, leafBytes: 5000), "the first transaction always fits")
        let validator = LocalChainTests.replayed(chain)
        candidate = validator.candidate()
        let tx = try chain.signed(chain.reading(seq: 1))
        _ = candidate.admit(tx)
        #expect(!budget.fits(candidate, leafBytes: 1000 - tx.leaf.count), "over the byte budget")
        #expect(budget.fits(candidate, leafBytes: 1000 - tx.leaf.count - 2))
        _ = candidate.admit(try chain.signed(chain.reading(seq: 2)))
        #expect(budget.isFull(candidate) && !budget.fits(candidate, leafBytes: 1), "two transactions: full")
        // The chain's rules cap what is asked.
        let capped = BlockBudget(rules: rules, maxTxs: 1 << 30, maxBytes: 1 << 40)
        #expect(capped.maxTxs == Int(rules.maxBlockTxs) - 1 && capped.maxBytes == Int(rules.maxBlockBytes) - 4096)
    }
}
