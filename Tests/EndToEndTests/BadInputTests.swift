import EHXShared
import Foundation
import Testing

/// Every tool that reads records, fed one bad line between good ones: it
/// must not crash, must name the line (rejects file, one-line stderr, or
/// ehx-verify's problem line), must exit 65 (verify: 1), and must still
/// handle every good line before and after.
@Suite struct EndToEndBadInput {
    enum RecordTool: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case ingest, signPSK, signKey, mine, verify
        var testDescription: String { rawValue }
    }

    enum BadLine: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case notJSON, wrongJSONType, wrongFieldType, missingField, tenMegabyteLine, invalidUTF8
        var testDescription: String { rawValue }
    }

    /// A fixture and the good lines each tool reads.
    struct Setup {
        let f: ChainFixture
        let goodLines: [[UInt8]]
        /// Where the bad line goes (0-based index into the good lines).
        let insertAt: Int

        init(_ tool: RecordTool, dir: Scratch) throws {
            f = try ChainFixture.make(in: dir, sampleLines: 6, maxTxs: 2, mine: tool == .verify)
            switch tool {
            case .signPSK: goodLines = try Files.lines(f.raw)
            case .ingest: goodLines = try Files.lines(f.readings)
            case .signKey: goodLines = try Files.lines(f.accepted)
            case .mine: goodLines = try Files.lines(f.txs)
            case .verify: goodLines = try f.chainLines() // genesis + 3 blocks
            }
            insertAt = tool == .verify ? 2 : 3
        }

        /// Field names the mutations use for this tool's records.
        func fields(_ tool: RecordTool) -> (typed: String, missing: String, text: String) {
            switch tool {
            // A device only MACs what it sends, so for ehx-sign --psk the one
            // field that can be of the wrong type is the device that picks the key.
            case .signPSK: return ("device", "device", "patient")
            case .ingest, .signKey: return ("seq", "device", "patient")
            case .mine: return ("v", "signer", "ts")
            case .verify: return ("height", "header", "hash")
            }
        }

        func badLine(_ kind: BadLine, tool: RecordTool) throws -> [UInt8] {
            let template = goodLines[0]
            let (typed, missing, text) = fields(tool)
            switch kind {
            case .notJSON:
                return Array(template.prefix(template.count / 2)) // a torn write
            case .wrongJSONType:
                return Array("[1,2]".utf8)
            case .wrongFieldType:
                return try JSONValue.parse(template).setting([.key(typed)], to: typed == "device" ? 42 : "x").canonicalBytes()
            case .missingField:
                return try JSONValue.parse(template).setting([.key(missing)], to: nil).canonicalBytes()
            case .tenMegabyteLine:
                return Array("{\"pad\":\"".utf8) + [UInt8](repeating: 0x61, count: 10 << 20) + Array("\"}".utf8)
            case .invalidUTF8:
                let marked = try JSONValue.parse(template).setting([.key(text)], to: "MARK-MARK").canonicalBytes()
                let mark = Array("MARK-MARK".utf8)
                guard let at = (0...(marked.count - mark.count)).first(where: { Array(marked[$0..<($0 + mark.count)]) == mark }) else {
                    throw TestFailure("marker not found")
                }
                return Array(marked[..<at]) + [0x50, 0xff, 0xfe, 0xc3, 0x28] + Array(marked[(at + mark.count)...])
            }
        }

        func arguments(_ tool: RecordTool, input: String, rejects: String) -> (String, [String]) {
            switch tool {
            case .signPSK: return ("ehx-sign", ["--psk", f.psk, "--rejects", rejects, input])
            case .ingest: return ("ehx-ingest", ["--psk", f.psk, "--rejects", rejects, input])
            case .signKey: return ("ehx-sign", ["--key", f.gatewayKey, "--rejects", rejects, input])
            case .mine: return ("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--rejects", rejects, input])
            case .verify: return ("ehx-verify", ["--genesis", f.genesisHash, input])
            }
        }
    }

    @Test(arguments: RecordTool.allCases, BadLine.allCases)
    func badLineBetweenGoodLines(tool: RecordTool, bad: BadLine) throws {
        let dir = try Scratch("bad-\(tool.rawValue)-\(bad.rawValue)")
        defer { dir.remove() }
        let setup = try Setup(tool, dir: dir)
        let input = dir.path("input.jsonl"), rejects = dir.path("input-rejects.jsonl")
        var lines = setup.goodLines
        lines.insert(try setup.badLine(bad, tool: tool), at: setup.insertAt)
        try Files.writeLines(input, lines)
        let badLineNumber = setup.insertAt + 1
        let (name, args) = setup.arguments(tool, input: input, rejects: rejects)

        let result = try Tool.run(name, args + ["--quiet"])
        #expect(!result.signaled, "crashed: \(result)")
        #expect(!result.timedOut, "\(result)")
        #expect(result.err.utf8.count < 4096, "stderr stays short (no echo of a 10 MB line)")

        if tool == .verify {
            let report = VerifyReport(file: input, result: result)
            #expect(result.status == 1, "\(report)")
            #expect(report.problems.count == 1, "one problem, on the bad line only\n\(report)")
            #expect(report.problems.first?.line == badLineNumber, "\(report)")
            #expect(result.outLines.allSatisfy { $0.hasPrefix("\(input):\(badLineNumber): ") }, "\(report)")
            // Every good block was still read: the summary counts them all.
            let clean = try Tool.run("ehx-verify", [setup.f.chain])
            let facts = { (r: ToolResult) in r.err.range(of: "[0-9]+ blocks, [0-9]+ transactions", options: .regularExpression).map { r.err[$0] } }
            let loud = try Tool.run(name, args)
            #expect(facts(loud) != nil && facts(loud) == facts(clean), "\(loud)\n\(clean)")
            return
        }

        #expect(result.status == 65, "\(result)")
        // One line of stderr, naming the input and the bad line.
        #expect(result.errLines.count == 1, "\(result)")
        #expect(result.errLines.allSatisfy { $0.contains("\(input):\(badLineNumber):") }, "\(result)")
        // The rejects file names that line and only it.
        let rejected = try Files.jsonObjects(rejects)
        #expect(rejected.count == 1, "\(rejected)")
        #expect(rejected.first?["line"] as? Int == badLineNumber, "\(rejected)")
        #expect(rejected.first?["reason"] as? String != nil)

        // The good lines before and after were all processed.
        let good = setup.goodLines.count
        if tool == .mine {
            let readings = try setup.f.query(["txs", "--type", "reading"]).outLines
            #expect(readings.count == good, "every good tx mined")
            let verify = try setup.f.verify()
            #expect(verify.status == 0, "\(verify)")
        } else {
            #expect(result.outLines.count == good, "\(result.outLines.count) of \(good) good lines came out")
        }
    }

    @Test(arguments: RecordTool.allCases)
    func emptyInput(tool: RecordTool) throws {
        let dir = try Scratch("empty-\(tool.rawValue)")
        defer { dir.remove() }
        let setup = try Setup(tool, dir: dir)
        let input = dir.path("empty.jsonl")
        try Files.write(input, [UInt8]())
        let (name, args) = setup.arguments(tool, input: input, rejects: dir.path("rejects.jsonl"))
        let result = try Tool.run(name, args)
        #expect(!result.signaled, "\(result)")
        #expect(result.status == 65, "\(result)")
        #expect(result.errLines.count == 1, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        // Same on stdin.
        let piped = try Tool.run(name, Array(args.dropLast()), stdin: .data(Data()))
        #expect(piped.status == 65, "\(piped)")
        #expect(piped.errLines.count == 1, "\(piped)")
    }
}
