import EHXShared
import Foundation
import Testing

/// The hostile-input corpus (issue 9), run against every tool that reads
/// records: each hostile line sits between good lines (or the whole input is
/// hostile), and every tool must answer with a one-line error naming the
/// input, the line and (where there is one) the field, exit with its
/// documented status, neither crash nor hang, and process every good line
/// exactly as it would without the hostile one.
///
/// Documented outcomes (man ehx.7, EXIT STATUS and LIMITS):
/// * record tools (ehx-ingest, ehx-sign --psk/--key, ehx-mine): 65 and a
///   reject per bad line; the other lines are processed;
/// * ehx-verify: 1, one problem line per bad line, the rest still checked;
/// * ehx-query on a damaged chain: 65 at the first unreadable line, after
///   printing what came before it (it never reads past damage).
@Suite struct EndToEndCorpus {
    enum Reader: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case ingest, signPSK, signKey, mine, verify, query
        var testDescription: String { rawValue }
        var readsChain: Bool { self == .verify || self == .query }
    }

    enum Hostile: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case empty, binaryGarbage, nulBytes, invalidUTF8, loneSurrogate, bom, deepNesting, hundredMegabyteLine
        case duplicateKeys, hugeExponent, negativeZero, nanText, negativeSeq, seq2to64
        case tsWithoutZone, tsYear9999, unknownKind, unknownType, unknownField, crlf, truncatedLastLine
        var testDescription: String { rawValue }
    }

    /// What a run must show.
    enum Outcome {
        /// Line `line` is refused; the message names `field` when given.
        case rejected(line: Int, field: String?)
        /// Valid as far as this tool can tell (e.g. a year-9999 ts before the
        /// gateway's clock check): accepted or refused, never a crash.
        case mayAccept(line: Int)
        /// Nothing bad: every line is processed as without the change.
        case clean
        case empty
    }

    struct Plan {
        var lines: [[UInt8]]
        /// Bytes after the last line's "\n" (a truncated last line).
        var tail: [UInt8] = []
        /// Line-ending for every line (CRLF case).
        var eol: [UInt8] = [0x0a]
        /// Insert the shared 100 MB line at this 0-based index.
        var bigLineAt: Int?
        var outcome: Outcome
        /// 0-based index of the good line replaced or preceded by the bad one,
        /// and whether the bad line was inserted (true) or replaced it.
        var badIndex: Int?
        var inserted = true
    }

    // MARK: - Shared world: one pipeline fixture and one 100 MB line per run

    final class World: @unchecked Sendable {
        let dir: Scratch
        let f: ChainFixture
        let bigLine: String
        let psk: PSKFile
        let gatewayKey: Ed25519.PrivateKey

        init() throws {
            dir = try Scratch("corpus-world")
            World.cleanupPath = dir.url.path
            atexit { if let p = World.cleanupPath { try? FileManager.default.removeItem(atPath: p) } }
            f = try ChainFixture.make(in: dir, sampleLines: 8, maxTxs: 2)
            bigLine = dir.path("big.line")
            // {"pad":"aaaa…"} of 100 MiB, written once in 1 MiB pieces.
            _ = FileManager.default.createFile(atPath: bigLine, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: bigLine))
            try handle.write(contentsOf: Data(#"{"pad":""#.utf8))
            let chunk = Data(repeating: 0x61, count: 1 << 20)
            for _ in 0..<100 { try handle.write(contentsOf: chunk) }
            try handle.write(contentsOf: Data("\"}\n".utf8))
            try handle.close()
            psk = try PSKFile.load(path: f.psk)
            gatewayKey = try KeyFile.readPrivateKey(path: f.gatewayKey, passphrase: nil)
        }

        nonisolated(unsafe) static var cleanupPath: String?
        static let shared = Result { try World() }

        func goodLines(_ r: Reader) throws -> [[UInt8]] {
            switch r {
            case .signPSK: return try Files.lines(f.raw)
            case .ingest: return try Files.lines(f.readings)
            case .signKey: return try Files.lines(f.accepted)
            case .mine: return try Files.lines(f.txs)
            case .verify, .query: return try f.chainLines()
            }
        }
    }

    // MARK: - Building the hostile inputs

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Replaces the first match of `pattern` in the canonical line.
    static func edit(_ line: [UInt8], _ pattern: String, _ replacement: String) throws -> [UInt8] {
        let s = text(line)
        guard let range = s.range(of: pattern, options: .regularExpression) else {
            throw TestFailure("pattern \(pattern) not in \(s.prefix(200))")
        }
        return Array(s.replacingCharacters(in: range, with: replacement).utf8)
    }

    /// Re-authenticates an edited record the way its producer would, so the
    /// tool gets as far as the field check: a device MAC for ehx-ingest's
    /// readings, a gateway signature for ehx-mine's transactions. Records
    /// that do not parse are left as they are.
    static func reseal(_ line: [UInt8], for r: Reader, world w: World) throws -> [UInt8] {
        guard r == .ingest || r == .mine, var object = (try? JSONValue.parse(line))?.objectValue else { return line }
        var raw = text(line)
        switch r {
        case .ingest:
            object["mac"] = nil
            guard case let .string(device)? = object["device"], let key = w.psk.key(for: device) else { return line }
            let mac = HMACSHA256.authenticationCode(for: JSONValue.object(object).canonicalBytes(), key: key)
            raw = raw.replacingOccurrences(of: #","mac":"[0-9a-f]*""#, with: "", options: .regularExpression)
            raw.removeLast()
            raw += #","mac":""# + Hex.encode(mac) + "\"}"
        default:
            object["sig"] = nil
            let sig = try w.gatewayKey.signature(for: Transaction.signatureDomain + JSONValue.object(object).canonicalBytes())
            raw = raw.replacingOccurrences(of: #""sig":"[A-Za-z0-9_-]*","#, with: "", options: .regularExpression)
            raw.removeLast()
            raw += #","sig":""# + Base64URL.encode(sig) + "\"}"
        }
        return Array(raw.utf8)
    }

    static func plan(_ r: Reader, _ h: Hostile, world w: World) throws -> Plan? {
        let good = try w.goodLines(r)
        // Record tools: the bad line goes in as line 4 (after three good
        // ones). Chains: block 2 (line 3) is the one damaged, so blocks on
        // both sides of it are good.
        let at = r.readsChain ? 2 : 3
        let template = good[at]
        var lines = good

        func insert(_ bad: [UInt8], field: String? = nil) -> Plan {
            lines.insert(bad, at: at)
            return Plan(lines: lines, outcome: .rejected(line: at + 1, field: field), badIndex: at)
        }
        func replace(_ bad: [UInt8], field: String?, mayAccept: Bool = false) throws -> Plan {
            lines[at] = try reseal(bad, for: r, world: w)
            // ehx-sign --psk MACs what the device sends, unchecked: the
            // gateway (ehx-ingest) is where a reading's fields are judged.
            let mayAccept = mayAccept || r == .signPSK
            return Plan(lines: lines, outcome: mayAccept ? .mayAccept(line: at + 1) : .rejected(line: at + 1, field: field),
                        badIndex: at, inserted: false)
        }
        // The field edits work on the first occurrence in the canonical line,
        // which for a transaction or block is inside the reading body.
        let seqPattern = #""seq":[0-9]+"#, tsPattern = #""ts":"[^"]*""#, kindPattern = #""kind":"[a-z_0-9]*""#

        switch h {
        case .empty:
            return Plan(lines: [], outcome: .empty)
        case .binaryGarbage:
            var g = SystemRandomNumberGenerator()
            return insert((0..<512).map { _ in UInt8.random(in: 0...255, using: &g) }.map { $0 == 0x0a ? 0x0b : $0 })
        case .nulBytes:
            var bad = template
            bad.insert(contentsOf: [0x00, 0x00], at: bad.count / 2)
            return insert(bad)
        case .invalidUTF8:
            // An overlong "/" and a lone continuation byte inside a string.
            return insert(try edit(template, #""patient":"|"hash":""#, "\"patient\":\"\u{1}") .map { $0 == 0x01 ? 0xc0 : $0 } + [])
        case .loneSurrogate:
            return insert(try edit(template, #""patient":"|"hash":""#, #""patient":"\ud800"#))
        case .bom:
            return insert([0xef, 0xbb, 0xbf] + template)
        case .deepNesting:
            return insert([UInt8](repeating: 0x5b, count: 100_000) + [UInt8](repeating: 0x5d, count: 100_000))
        case .hundredMegabyteLine:
            return Plan(lines: lines, bigLineAt: at, outcome: .rejected(line: at + 1, field: nil), badIndex: at)
        case .duplicateKeys:
            return insert([0x7b] + Array(#""seq":1,"#.utf8) + template.dropFirst())
        case .hugeExponent:
            return insert(try edit(template, r.readsChain ? #""height":[0-9]+"# : r == .mine ? #""v":1"# : seqPattern,
                                   r.readsChain ? #""height":1e400"# : r == .mine ? #""v":1e400"# : #""seq":1e400"#))
        case .nanText:
            return insert(try edit(template, r.readsChain ? #""height":[0-9]+"# : r == .mine ? #""v":1"# : seqPattern,
                                   r.readsChain ? #""height":NaN"# : r == .mine ? #""v":NaN"# : #""seq":NaN"#))
        case .negativeZero:
            // -0 is 0 in JCS: fine for a first reading of a device, a
            // replay for the gateway that has seen the device before.
            return try replace(try edit(template, seqPattern, #""seq":-0"#), field: "seq",
                               mayAccept: r == .signPSK || r == .signKey || r == .mine)
        case .negativeSeq:
            return try replace(try edit(template, seqPattern, #""seq":-5"#), field: "seq")
        case .seq2to64:
            return try replace(try edit(template, seqPattern, #""seq":18446744073709551616"#), field: "seq")
        case .tsWithoutZone:
            return try replace(try edit(template, tsPattern, #""ts":"2026-11-26T10:00:00.000""#), field: "ts")
        case .tsYear9999:
            return try replace(try edit(template, tsPattern, #""ts":"9999-12-31T23:59:59.999Z""#), field: "ts",
                               mayAccept: r != .ingest && r != .verify)
        case .unknownKind:
            return try replace(try edit(template, kindPattern, #""kind":"glucose_ratio""#), field: "kind")
        case .unknownType:
            switch r {
            case .signPSK, .ingest: return nil // readings have no type
            case .signKey: return insert(Array(#"{"type":"prescription","body":"#.utf8) + template + [0x7d], field: "type")
            case .mine, .verify, .query:
                return try replace(try edit(template, #""type":"reading""#, #""type":"prescription""#), field: "type")
            }
        case .unknownField:
            let opened = r.readsChain ? try edit(template, #""body":\{"#, #""body":{"colour":"red","#)
                                      : [0x7b] + Array(#""colour":"red","#.utf8) + template.dropFirst()
            return try replace(opened, field: "colour")
        case .crlf:
            if r.readsChain {
                // A chain line is bytes exactly: a CR is a change like any other.
                lines[at] = template + [0x0d]
                return Plan(lines: lines, outcome: .rejected(line: at + 1, field: nil), badIndex: at, inserted: false)
            }
            return Plan(lines: lines, eol: [0x0d, 0x0a], outcome: .clean)
        case .truncatedLastLine:
            let last = good[good.count - 1]
            return Plan(lines: lines, tail: Array(last.prefix(last.count / 2)),
                        outcome: .rejected(line: good.count + 1, field: nil), badIndex: good.count)
        }
    }

    static func write(_ plan: Plan, to path: String, world w: World) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for (i, line) in plan.lines.enumerated() {
            if i == plan.bigLineAt {
                let big = try FileHandle(forReadingFrom: URL(fileURLWithPath: w.bigLine))
                while let piece = try big.read(upToCount: 8 << 20), !piece.isEmpty { try handle.write(contentsOf: piece) }
                try big.close()
            }
            try handle.write(contentsOf: Data(line + plan.eol))
        }
        if !plan.tail.isEmpty { try handle.write(contentsOf: Data(plan.tail)) }
    }

    static func arguments(_ r: Reader, input: String, rejects: String, chain: String, world w: World) -> (String, [String]) {
        let f = w.f
        switch r {
        case .signPSK: return ("ehx-sign", ["--psk", f.psk, "--rejects", rejects, input])
        case .ingest: return ("ehx-ingest", ["--psk", f.psk, "--rejects", rejects, input])
        case .signKey: return ("ehx-sign", ["--key", f.gatewayKey, "--rejects", rejects, input])
        case .mine: return ("ehx-mine", ["--chain", chain, "--key", f.minerKey, "--max-txs", "2", "--rejects", rejects, input])
        case .verify: return ("ehx-verify", ["--genesis", f.genesisHash, input])
        case .query: return ("ehx-query", ["--chain", input, "txs"])
        }
    }

    /// What a tool's good output is, in a form that does not depend on the
    /// clock: signatures of mined readings, bodies of signed transactions.
    static func essence(_ r: Reader, result: ToolResult, chain: String) throws -> [String] {
        switch r {
        case .signKey:
            return try result.outLines.map { line in
                let body = try JSONValue.parse(line).objectValue?["body"] ?? .null
                return text(body.canonicalBytes())
            }
        case .mine:
            return try Files.jsonObjects(chain).flatMap { block in
                (block["txs"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "reading" }.compactMap { $0["sig"] as? String }
            }
        default:
            return result.outLines
        }
    }

    // MARK: - The test

    @Test(arguments: Reader.allCases, Hostile.allCases)
    func hostileInput(reader r: Reader, hostile h: Hostile) throws {
        let w = try World.shared.get()
        guard let plan = try Self.plan(r, h, world: w) else { return }
        let dir = try Scratch("corpus-\(r.rawValue)-\(h.rawValue)")
        defer { dir.remove() }
        let input = dir.path("input.jsonl"), rejects = dir.path("rejects.jsonl")
        try Self.write(plan, to: input, world: w)
        // ehx-mine appends to its own copy of the genesis-only chain.
        let chain = dir.path("chain.jsonl"), cleanChain = dir.path("clean-chain.jsonl")
        if r == .mine {
            try Files.writeLines(chain, [try w.f.chainLines()[0]])
            try Files.writeLines(cleanChain, [try w.f.chainLines()[0]])
        }

        let (name, args) = Self.arguments(r, input: input, rejects: rejects, chain: chain, world: w)
        let quiet = r == .query ? [] : ["--quiet"]
        let result = try Tool.run(name, args + quiet, timeout: 90)
        #expect(!result.signaled, "crashed: \(result)")
        #expect(!result.timedOut, "hung: \(result)")
        #expect(result.err.utf8.count < 4096, "stderr stays short: \(result)")
        #expect(result.errLines.count <= 1, "one line of stderr at most: \(result)")
        if result.signaled || result.timedOut { return }

        // The same tool on the good lines only.
        let goodInput = dir.path("good.jsonl")
        try Files.writeLines(goodInput, try w.goodLines(r))
        let (_, cleanArgs) = Self.arguments(r, input: goodInput, rejects: dir.path("clean-rejects.jsonl"), chain: cleanChain, world: w)
        let clean = try Tool.run(name, cleanArgs + quiet, timeout: 90)
        #expect(clean.status == 0, "\(clean)")

        let verdict = VerifyReport(file: input, result: result)
        switch plan.outcome {
        case .empty:
            #expect(result.status == 65, "\(result)")
            #expect(result.errLines.count == 1 && (result.errLines.first ?? "").contains(input), "\(result)")
            #expect(result.stdout.isEmpty)
        case .clean:
            #expect(result.status == 0, "\(result)")
            #expect(try Self.essence(r, result: result, chain: chain) == Self.essence(r, result: clean, chain: cleanChain))
        case let .rejected(line, field):
            try checkRejected(r, plan: plan, line: line, field: field, result: result, clean: clean, verdict: verdict,
                              input: input, rejects: rejects, chain: chain, cleanChain: cleanChain)
        case let .mayAccept(line):
            if result.status == 0 {
                // Accepted: its output sits where the line was; the rest is unchanged.
                var got = try Self.essence(r, result: result, chain: chain)
                let want = try Self.essence(r, result: clean, chain: cleanChain)
                #expect(got.count == want.count, "\(result)")
                if got.count == want.count, let i = plan.badIndex, r != .mine {
                    got[i] = want[i]
                    #expect(got == want)
                }
            } else {
                try checkRejected(r, plan: plan, line: line, field: nil, result: result, clean: clean, verdict: verdict,
                                  input: input, rejects: rejects, chain: chain, cleanChain: cleanChain)
            }
        }
    }

    /// The clean run's essence without the good line the bad one replaced.
    func expected(_ r: Reader, plan: Plan, clean: ToolResult, cleanChain: String) throws -> [String] {
        var want = try Self.essence(r, result: clean, chain: cleanChain)
        guard !plan.inserted, let i = plan.badIndex else { return want }
        if r == .mine {
            let sig = try JSONLine.object(Data(try World.shared.get().goodLines(.mine)[i]))["sig"] as? String
            want.removeAll { $0 == sig }
        } else if i < want.count {
            want.remove(at: i)
        }
        return want
    }

    func checkRejected(_ r: Reader, plan: Plan, line: Int, field: String?, result: ToolResult, clean: ToolResult,
                       verdict: VerifyReport, input: String, rejects: String, chain: String, cleanChain: String) throws {
        let message = result.errLines.first ?? ""
        switch r {
        case .verify:
            #expect(result.status == 1, "\(verdict)")
            #expect(!verdict.problems.isEmpty && verdict.problems.allSatisfy { $0.line == line },
                    "problems on line \(line) only\n\(verdict)")
        case .query:
            #expect(result.status == 65, "\(result)")
            #expect(message.contains("\(input):\(line):"), "\(result)")
            // What came before the damage is printed unchanged, nothing after it.
            let before = clean.outLines.filter { l in
                (try? JSONLine.object(l)).map { _ in true } ?? false
            }
            #expect(result.outLines == Array(before.prefix(result.outLines.count)), "a prefix of the clean output")
            #expect(result.outLines.count < before.count || line > plan.lines.count)
        default:
            #expect(result.status == 65, "\(result)")
            #expect(message.contains("\(input):\(line):"), "stderr names the line: \(result)")
            if let field { #expect(message.contains(field), "stderr names the field \(field): \(result)") }
            let rejected = try Files.jsonObjects(rejects)
            #expect(rejected.count == 1 && rejected.first?["line"] as? Int == line, "\(rejected.map { $0.filter { $0.key != "raw" } })")
            // Every good line is processed unchanged.
            #expect(try Self.essence(r, result: result, chain: chain) == expected(r, plan: plan, clean: clean, cleanChain: cleanChain),
                    "\(result)")
            if r == .mine {
                let v = try Tool.run("ehx-verify", ["--quiet", chain])
                #expect(v.status == 0, "\(v)")
            }
        }
    }
}
