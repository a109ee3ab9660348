import EHXShared
import Foundation
import Testing

/// A seeded harness: random mutations of a valid, pinned chain (genesis and
/// tip) must each be reported with exit 1. Most run in-process through
/// `ChainAudit.run(reader:…)` — the very code ehx-verify runs, reading the
/// mutated file with the same LineReader — and a sample of them through the
/// real executable, whose exit status must be 1 too.
@Suite struct EndToEndMutation {
    static let seed: UInt64 = 0x5eed_e4c5
    static let mutations = 1_200
    static let throughBinary = 60

    @Test func everyMutationIsReported() throws {
        let dir = try Scratch("mutation")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 60, maxTxs: 8)
        let tip = try f.tipHash()
        let original = try Files.bytes(f.chain)
        let pins = try ChainPins(genesis: f.genesisHash, authority: nil, expectTip: tip)
        let now = Timestamp.now().unixSeconds + 3600

        /// The status, the problems, and whether any line was a block at all.
        func audit(_ path: String) throws -> (Sysexits, [AuditReport], Bool) {
            let reader = try LineReader(path: path)
            var audit = ChainAudit(now: now, pins: pins, threads: 2)
            var reports: [AuditReport] = []
            try audit.run(reader: reader) { (report: AuditReport) throws(ToolError) in reports.append(report) }
            reports += audit.finish()
            return (audit.exitStatus, reports, audit.readableBlocks > 0)
        }

        // The unmutated chain passes, in-process and through the tool.
        let (clean, cleanReports, _) = try audit(f.chain)
        #expect(clean == .ok, "\(cleanReports)")
        let tool = try Tool.run("ehx-verify", ["--genesis", f.genesisHash, "--expect-tip", tip, f.chain])
        #expect(tool.status == 0, "\(tool)")

        var rng = SplitMix64(seed: Self.seed)
        let lines = try f.chainLines()
        #expect(lines.count >= 5, "the fixture chain is too short to mutate well")
        let path = dir.path("mutant.jsonl")
        var kinds: [String: Int] = [:]
        var binaryRuns = 0
        for n in 0..<Self.mutations {
            guard let (kind, bytes) = try Mutator.mutate(original, lines: lines, rng: &rng), bytes != original else { continue }
            kinds[kind, default: 0] += 1
            try Files.write(path, bytes)
            let (status, reports, anyBlock) = try audit(path)
            // A file left without one readable block is no chain at all: 65 (ehx.7).
            let expected: Sysexits = anyBlock ? .checkedBad : .dataErr
            #expect(status == expected && !reports.isEmpty, "mutation \(n) (\(kind), seed \(Self.seed)) not reported: status \(status), \(reports.prefix(3))")
            if n % (Self.mutations / Self.throughBinary) == 0 && anyBlock {
                binaryRuns += 1
                let run = try Tool.run("ehx-verify", ["-q", "--genesis", f.genesisHash, "--expect-tip", tip, path])
                #expect(run.status == 1, "mutation \(n) (\(kind)) through ehx-verify: \(run)")
                #expect(!run.out.isEmpty, "mutation \(n) (\(kind)): exit 1 without a problem line")
            }
        }
        let total = kinds.values.reduce(0, +)
        #expect(total >= 1_000, "only \(total) effective mutations: \(kinds)")
        #expect(binaryRuns >= 50)
        #expect(kinds.count == Mutator.kindCount, "kinds exercised: \(kinds)")
    }
}

/// Deterministic 64-bit PRNG (SplitMix64), so a failure names a reproducible seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

enum Mutator {
    static let kindCount = 9

    static func join(_ lines: [[UInt8]]) -> [UInt8] { lines.flatMap { $0 + [0x0a] } }

    /// One random mutation: its kind and the mutated file (nil when the
    /// chosen kind does not apply to this chain).
    static func mutate(_ file: [UInt8], lines: [[UInt8]], rng: inout SplitMix64) throws -> (String, [UInt8])? {
        var lines = lines
        switch Int.random(in: 0..<kindCount, using: &rng) {
        case 0:
            var bytes = file
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            return ("flip-byte", bytes)
        case 1:
            // Change one digit of some number or hex string to another digit.
            let i = Int.random(in: 0..<lines.count, using: &rng)
            let digits = lines[i].indices.filter { (0x30...0x39).contains(lines[i][$0]) }
            guard let at = digits.randomElement(using: &rng) else { return nil }
            var d = lines[i][at]
            while d == lines[i][at] { d = UInt8.random(in: 0x30...0x39, using: &rng) }
            lines[i][at] = d
            return ("change-number", join(lines))
        case 2:
            lines.remove(at: Int.random(in: 0..<lines.count, using: &rng))
            return lines.isEmpty ? nil : ("drop-line", join(lines))
        case 3:
            let i = Int.random(in: 0..<lines.count, using: &rng)
            lines.insert(lines[i], at: Int.random(in: 0...lines.count, using: &rng))
            return ("duplicate-line", join(lines))
        case 4:
            let i = Int.random(in: 0..<lines.count, using: &rng)
            var j = Int.random(in: 0..<lines.count, using: &rng)
            if i == j { j = (i + 1) % lines.count }
            lines.swapAt(i, j)
            return ("swap-lines", join(lines))
        case 5:
            let cut = Int.random(in: 1..<file.count, using: &rng)
            return ("truncate", Array(file.prefix(cut)))
        case 6:
            // Swap one non-stamp transaction between two blocks, each line re-serialized canonically.
            guard lines.count >= 3 else { return nil }
            let a = Int.random(in: 1..<lines.count, using: &rng)
            var b = Int.random(in: 1..<lines.count, using: &rng)
            if a == b { b = a == lines.count - 1 ? 1 : a + 1 }
            guard a != b else { return nil }
            let ja = try ChainLine.parse(lines[a]), jb = try ChainLine.parse(lines[b])
            guard case .array(let ta)? = ja.value(at: ["txs"]), case .array(let tb)? = jb.value(at: ["txs"]),
                  ta.count > 1, tb.count > 1 else { return nil }
            let ia = Int.random(in: 1..<ta.count, using: &rng), ib = Int.random(in: 1..<tb.count, using: &rng)
            lines[a] = ChainLine.canonical(ja.setting(["txs", .index(ia)], to: tb[ib]))
            lines[b] = ChainLine.canonical(jb.setting(["txs", .index(ib)], to: ta[ia]))
            return ("swap-txs", join(lines))
        case 7:
            // Change the role a genesis grant gives a key.
            let g = try ChainLine.parse(lines[0])
            guard case .array(let grants)? = g.value(at: ["txs", 0, "body", "grants"]), !grants.isEmpty else { return nil }
            let k = Int.random(in: 0..<grants.count, using: &rng)
            let current = grants[k].value(at: ["role"])?.stringValue
            let roles = Role.allCases.map(\.rawValue).filter { $0 != current }
            let role = roles[Int.random(in: 0..<roles.count, using: &rng)]
            lines[0] = ChainLine.canonical(g.setting(["txs", 0, "body", "grants", .index(k), "role"], to: .string(role)))
            return ("change-role", join(lines))
        default:
            // Edit one field of one transaction body or envelope, canonically.
            let i = Int.random(in: 1..<lines.count, using: &rng)
            let j = try ChainLine.parse(lines[i])
            guard case .array(let txs)? = j.value(at: ["txs"]) else { return nil }
            let t = Int.random(in: 0..<txs.count, using: &rng)
            let edits: [[JSONPathItem]] = [["body", "value"], ["body", "seq"], ["ts"], ["body", "height"], ["body", "extranonce"]]
            let path = edits[Int.random(in: 0..<edits.count, using: &rng)]
            guard case .number(let old)? = txs[t].value(at: path) else {
                guard case .string(let s)? = txs[t].value(at: path), s.count > 5 else { return nil }
                var chars = Array(s)
                chars[chars.count - 2] = chars[chars.count - 2] == "1" ? "2" : "1"
                lines[i] = ChainLine.canonical(j.setting(["txs", .index(t)] + path, to: .string(String(chars))))
                return ("edit-tx", join(lines))
            }
            lines[i] = ChainLine.canonical(j.setting(["txs", .index(t)] + path, to: .number(old + 1)))
            return ("edit-tx", join(lines))
        }
    }
}
