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

    /// A canonical block line is cut into exactly its transactions' leaves,
    /// so each can be parsed on its own worker; strings holding brackets,
    /// quotes and backslashes do not fool the cut.
    @Test func aCanonicalLineIsCutIntoItsLeaves() throws {
        var chain = try TestChain()
        // Brackets and quotes in strings, and runs of backslashes before a
        // quote (escaped or not) or at a string's end.
        let tricky = [#"bed{1}"#, #"bed"]["#, #"bed\"#, "bed-\u{e9}", #"b\\"#, #"b\"}"#, #"b\\"]"#, #"\\\"{"#]
        let block = try chain.append(tricky.enumerated().map { i, d in try chain.signed(chain.reading(device: d, seq: Int64(i))) })
        let line = Array(block.canonicalLine.dropLast())
        let split = try #require(BlockLine.split(line))
        #expect(split.height == block.height && split.claimedHash == block.claimedHash && split.header.hash == block.header.hash)
        #expect(split.txs.map { Array(line[$0]) } == block.txs.map(\.leaf))
    }

    /// Whatever the line, the parallel window gives what reading it whole
    /// gives: the same block and facts, or the same problem (the cut path
    /// falls back to the whole line for anything not canonical).
    @Test func cutAndWholeLineAgreeOnDamagedLines() throws {
        var chain = try TestChain()
        let block = try chain.append((0..<6).map { j in try chain.signed(chain.reading(device: #"bed{"\1"#, seq: Int64(j))) })
        let good = String(decoding: block.canonicalLine.dropLast(), as: UTF8.self)
        var variants = [good, good + " ", " " + good, String(good.dropLast()), String(good.dropLast(2)) + "]]",
                        good.replacing(#"},{"#, with: #"}, {"#),
                        good.replacing(#","txs":["#, with: #","txs":[ "#),
                        good.replacing(#"{"hash""#, with: #"{"x":1,"hash""#),
                        good.replacing(#""v":1}"#, with: #""v":1.0}"#),
                        good.replacing(#""v":1}"#, with: #""v":1,"extra":2}"#),
                        good.replacing(#""v":1}]}"#, with: #""v":1},{}]}"#),
                        good.replacing(#""v":1}]}"#, with: #""v":1},3]}"#),
                        good.replacing(#""kind":"heart_rate""#, with: #""kind":"heart_rate\u0020""#),
                        good.replacing(#","txs":["#, with: #","txs":[],"t":["#),
                        // The cut path reads integers as integers and does not
                        // look for repeated names: neither may let a line through.
                        good.replacing(#""v":1}"#, with: #""v":1,"v":1}"#),
                        good.replacing(#""unit":"/min""#, with: #""unit":"/min","unit":"/min""#),
                        good.replacing(#""seq":0,"#, with: #""seq":-0,"#),
                        good.replacing(#""value":72"#, with: #""value":72.0"#),
                        good.replacing(#""value":72"#, with: #""value":99999999999999999999"#),
                        good.replacing(#""value":72"#, with: #""value":9007199254740993"#)]
        // A signature changed in place: still canonical, but invalid.
        if let range = good.range(of: #""sig":""#) {
            var forged = good
            let at = forged.index(range.upperBound, offsetBy: 3)
            forged.replaceSubrange(at...at, with: forged[at] == "A" ? "B" : "A")
            variants.append(forged)
        }
        for (k, text) in variants.enumerated() {
            let line = LineReader.Line(number: 1, bytes: Array(text.utf8), terminated: true)
            for threads in [1, 3] {
                let prepared = try #require(ChainBatch.prepare([line], threads: threads).first)
                switch (prepared.parsed, Result { () throws(ChainProblem) in try BlockLine.parseWithRoot(line.bytes) }) {
                case (.success(let cut), .success(let (whole, root))):
                    #expect(cut.canonicalLine == whole.canonicalLine, "variant \(k)")
                    #expect(prepared.facts?.merkleRoot == root && prepared.facts?.hash == whole.header.hash, "variant \(k)")
                    #expect(prepared.facts?.signatures == whole.txs.map { .checked($0.hasValidSignature) }, "variant \(k)")
                case (.failure(let a), .failure(let b)):
                    #expect(a.rule == b.rule && a.detail == b.detail, "variant \(k)")
                default:
                    Issue.record("variant \(k): the window and the whole line disagree")
                }
            }
        }
        #expect(BlockLine.split(Array(good.utf8)) != nil)
    }
}
