import Testing
@testable import EHXShared

/// Exact chain work, and the parallel window giving the serial verdict.
@Suite struct ChainBatchTests {
    @Test func workIsExact() throws {
        // Bitcoin: difficulty-1 work is 0x100010001.
        let one = ChainWork(of: try CompactTarget(bits: 0x1d00ffff))
        #expect(one.hex == "100010001")
        #expect((one + one).hex == "200020002")
        #expect(ChainWork.difference(one + one, one) == one)
        #expect(one < one + ChainWork(of: try CompactTarget(bits: 0x207fffff)))
        #expect(ChainWork(of: try CompactTarget(bits: 0x207fffff)).hex == "2")
        #expect(ChainWork.zero.hex == "0")
    }

    @Test func parallelWindowMatchesSerialValidation() throws {
        var chain = try TestChain()
        for i in 0..<4 {
            _ = try chain.append((0..<5).map { j in try! chain.signed(chain.reading(seq: Int64(i * 10 + j))) })
        }
        // Forge a signature in block 2: same schema, wrong bytes.
        var txs = chain.blocks[2].txs
        var object = txs[3].object
        object["sig"] = .string(Base64URL.encode([UInt8](repeating: 7, count: 64)))
        txs[3] = try Transaction(parsing: .object(object))
        chain.blocks[2] = Block(height: 2, header: chain.blocks[2].header, txs: txs)
        let serial = chain.validate()
        let lines = chain.blocks.enumerated().map { i, b in
            LineReader.Line(number: i + 1, bytes: Array(b.canonicalLine.dropLast()), terminated: true)
        }
        for threads in [1, 2, 7] {
            var audit = ChainAudit(now: chain.clock, pins: ChainPins(), threads: threads)
            let reports = audit.check(lines: lines)
            let byHeight = Dictionary(grouping: reports, by: \.height).mapValues { $0.map(\.problem) }
            #expect(byHeight == serial, "threads \(threads)")
            #expect(reports.contains { $0.problem.rule == .signature && $0.line == 3 })
        }
    }
}
