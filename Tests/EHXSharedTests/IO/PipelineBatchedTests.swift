@testable import EHXShared
import Foundation
import Testing

/// `RecordPipeline.runBatched` must be `run` moved onto threads: the same
/// records finished in the same order, the same rejects with the same line
/// numbers and reasons, the same counts and exit status, for any thread count.
@Suite struct PipelineBatchedTests {
    struct Odd: Error, CustomStringConvertible {
        let n: Int
        var description: String { "odd value \(n)" }
    }

    /// Good lines with every kind of bad one interleaved: not JSON, blank,
    /// CRLF, too long, refused by the stage, refused by the finish step.
    static func input() -> String {
        var lines: [String] = []
        for i in 0..<3000 {
            switch i % 11 {
            case 3: lines.append("{not json")
            case 5: lines.append("   ")
            case 7: lines.append(#"{"n":\#(i)}"# + "\r")
            case 8: lines.append(#"{"n":\#(i),"pad":""# + String(repeating: "x", count: 300) + #""}"#)
            default: lines.append(#"{"n":\#(i)}"#)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The stage refuses odd multiples of 13; the finish step refuses multiples of 17.
    static func stage(_ json: JSONValue) throws -> Int {
        guard let n = json["n"]?.integerValue else { throw RecordError(field: "n", "missing") }
        if n % 13 == 0 && n % 2 == 1 { throw Odd(n: Int(n)) }
        return Int(n)
    }

    struct Outcome: Equatable {
        var finished: [Int]
        var rejects: String
        var records: Int, accepted: Int, rejected: Int
        var status: Sysexits
    }

    static func outcome(threads: Int?, batchLines: Int = RecordPipeline.defaultBatchLines) throws -> Outcome {
        try TemporaryDirectory.with { dir in
            try input().write(toFile: dir.path("in.jsonl"), atomically: true, encoding: .utf8)
            let pipeline = try RecordPipeline(input: dir.path("in.jsonl"), rejects: dir.path("rejects.jsonl"),
                                              diagnostics: Diagnostics(tool: "test", quiet: true), maxLineBytes: 200)
            var finished: [Int] = []
            let finish = { (n: Int) throws in
                if n % 17 == 0 { throw RecordError(field: "n", "\(n) is a multiple of 17") }
                finished.append(n)
            }
            if let threads {
                try pipeline.runBatched(threads: threads, batchLines: batchLines) { json, _ in try stage(json) } finish: { try finish($0) }
            } else {
                try pipeline.run { json in try finish(try stage(json)) }
            }
            let c = pipeline.counts
            // Each run has its own directory; the rest of a reject must match.
            let rejects = try String(contentsOfFile: dir.path("rejects.jsonl"), encoding: .utf8)
                .replacingOccurrences(of: dir.path("in.jsonl"), with: "in.jsonl")
            return Outcome(finished: finished, rejects: rejects,
                           records: c.records, accepted: c.accepted, rejected: c.rejected, status: pipeline.exitStatus)
        }
    }

    @Test func batchedOnOneOrManyThreadsIsTheSequentialLoop() throws {
        let sequential = try Self.outcome(threads: nil)
        #expect(sequential.rejected > 500 && sequential.accepted > 1500)
        #expect(sequential.finished == sequential.finished.sorted())
        for threads in [1, 2, 4] {
            #expect(try Self.outcome(threads: threads) == sequential, "threads \(threads)")
        }
        // Batches smaller than the input, and of one line.
        #expect(try Self.outcome(threads: 3, batchLines: 7) == sequential)
        #expect(try Self.outcome(threads: 2, batchLines: 1) == sequential)
    }

    /// Lines of the lane (every multiple of 3 here) are written into the
    /// workers' buffers, yet reach the output in input order among what
    /// `finish` writes, count as accepted, and leave the rejects as the
    /// one-thread loop leaves them; a line the lane declines goes on to
    /// `stage` with nothing of it written, even what the lane wrote before
    /// declining.
    static func lanedOutcome(threads: Int?, batchLines: Int = RecordPipeline.defaultBatchLines) throws -> (output: [String], outcome: Outcome) {
        try TemporaryDirectory.with { dir in
            try input().write(toFile: dir.path("in.jsonl"), atomically: true, encoding: .utf8)
            let pipeline = try RecordPipeline(input: dir.path("in.jsonl"), rejects: dir.path("rejects.jsonl"),
                                              diagnostics: Diagnostics(tool: "test", quiet: true), maxLineBytes: 200)
            var output: [String] = []
            var finished: [Int] = []
            let finish = { (n: Int) throws in
                if n % 17 == 0 { throw RecordError(field: "n", "\(n) is a multiple of 17") }
                finished.append(n)
                output.append("F \(n)")
            }
            if let threads {
                let lane: RecordPipeline.Lane = { line, _, out in
                    guard let n = (try? JSONValue.parse(Array(line)))?["n"]?.integerValue, n % 3 == 0 else {
                        // Declined after writing: the pipeline must not keep it.
                        out.append(contentsOf: Array("half a line".utf8))
                        return false
                    }
                    out.append(contentsOf: Array("L \(n)\n".utf8))
                    return true
                }
                try pipeline.runBatched(threads: threads, batchLines: batchLines, lane: lane, emit: { bytes in
                    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") { output.append(String(line)) }
                }) { json, _ in try stage(json) } finish: { try finish($0) }
            } else {
                try pipeline.run { json in
                    if let n = json["n"]?.integerValue, n % 3 == 0 {
                        output.append("L \(n)")
                        return
                    }
                    try finish(try stage(json))
                }
            }
            let c = pipeline.counts
            let rejects = try String(contentsOfFile: dir.path("rejects.jsonl"), encoding: .utf8)
                .replacingOccurrences(of: dir.path("in.jsonl"), with: "in.jsonl")
            return (output, Outcome(finished: finished, rejects: rejects,
                                    records: c.records, accepted: c.accepted, rejected: c.rejected, status: pipeline.exitStatus))
        }
    }

    @Test func laneLinesKeepTheirPlaceAmongTheOthers() throws {
        let sequential = try Self.lanedOutcome(threads: nil)
        #expect(sequential.output.filter { $0.hasPrefix("L ") }.count > 500)
        #expect(sequential.output.filter { $0.hasPrefix("F ") }.count > 500)
        for threads in [1, 2, 4] {
            let laned = try Self.lanedOutcome(threads: threads)
            #expect(laned.output == sequential.output, "threads \(threads)")
            #expect(laned.outcome == sequential.outcome, "threads \(threads)")
        }
        // Many batches, so both sets of buffers are refilled.
        let small = try Self.lanedOutcome(threads: 3, batchLines: 7)
        #expect(small.output == sequential.output && small.outcome == sequential.outcome)
        let single = try Self.lanedOutcome(threads: 2, batchLines: 1)
        #expect(single.output == sequential.output && single.outcome == sequential.outcome)
    }

    @Test func aToolErrorInFinishStopsTheRunThere() throws {
        try TemporaryDirectory.with { dir in
            try Self.input().write(toFile: dir.path("in.jsonl"), atomically: true, encoding: .utf8)
            let pipeline = try RecordPipeline(input: dir.path("in.jsonl"), rejects: nil,
                                              diagnostics: Diagnostics(tool: "test", quiet: true))
            var finished: [Int] = []
            #expect(throws: ToolError.self) {
                try pipeline.runBatched(threads: 4) { json, _ in try Self.stage(json) } finish: { n in
                    if n == 1000 { throw ToolError(.ioErr, "stdout: write error") }
                    finished.append(n)
                }
            }
            #expect(finished.last.map { $0 < 1000 } == true)
            #expect(!finished.contains { $0 > 1000 })
        }
    }

    @Test func emptyInputIsStillAnError() throws {
        try TemporaryDirectory.with { dir in
            try "\n  \n".write(toFile: dir.path("in.jsonl"), atomically: true, encoding: .utf8)
            let pipeline = try RecordPipeline(input: dir.path("in.jsonl"), rejects: nil, diagnostics: Diagnostics(tool: "test", quiet: true))
            #expect(throws: ToolError.self) {
                try pipeline.runBatched(threads: 2) { json, _ in json } finish: { _ in }
            }
        }
    }

    @Test func parallelMapKeepsInputOrder() {
        let inputs = Array(0..<10_000)
        for threads in [1, 2, 5] {
            #expect(ParallelStage.map(inputs, threads: threads) { $0 * 3 } == inputs.map { $0 * 3 })
        }
        #expect(ParallelStage.map([Int](), threads: 4) { $0 }.isEmpty)
    }
}

/// The one-serialization shortcuts must give exactly the bytes of the
/// plain canonical form they replace.
@Suite struct PipelineCanonicalShortcutTests {
    @Test func canonicalObjectWithAndWithoutAMember() throws {
        let cases: [[String: JSONValue]] = [
            ["mac": "m", "device": "d", "seq": 1, "zeta": [1, "x"]],
            ["a": 1, "mac": "m"],             // omitted last
            ["mac": "m", "z": 1],             // omitted first
            ["mac": "m"],                     // omitted alone
            ["a": 1, "b": ["c": "\u{e000}", "\u{10000}": "\"\n"]], // omitted absent; UTF-16 order inside
            ["\u{e000}": 1, "\u{10000}": 2, "mac": .null, "é": "ü"],
        ]
        for members in cases {
            let forms = JSONValue.canonicalObject(members, omitting: "mac")
            var without = members
            without["mac"] = nil
            #expect(forms.full == JSONValue.object(members).canonicalBytes())
            #expect(forms.without == JSONValue.object(without).canonicalBytes())
            if let value = members["mac"], let range = forms.omittedValue {
                #expect(Array(forms.full[range]) == value.canonicalBytes())
            } else {
                #expect(forms.omittedValue == nil)
            }
            // Any other member's value located in the form without "mac",
            // before and after the cut.
            for (name, value) in members where name != "mac" {
                let located = JSONValue.canonicalObject(members, omitting: "mac", locating: name)
                #expect(located.full == forms.full && located.without == forms.without)
                let range = try #require(located.locatedValue)
                #expect(Array(located.without[range]) == value.canonicalBytes())
            }
            #expect(JSONValue.canonicalObject(members, omitting: "mac", locating: "mac").locatedValue == nil)
            #expect(JSONValue.canonicalObject(members, omitting: "mac", locating: "absent").locatedValue == nil)
        }
    }

    @Test func signWithLeafIsSignThenParse() throws {
        let key = try Ed25519.PrivateKey()
        let body: JSONValue = ["device": "bed1", "patient": "P-1", "seq": 3, "ts": "2026-11-26T10:00:00.000Z",
                               "kind": "heart_rate", "value": 72, "unit": "/min"]
        let (tx, leaf) = try Transaction.signWithLeaf(type: .reading, body: body, key: key)
        let parsed = try Transaction(parsing: try JSONValue.parse(leaf))
        #expect(leaf == tx.leaf)
        #expect(leaf == parsed.leaf)
        #expect(tx.unsignedBytes == parsed.unsignedBytes)
        #expect(tx.txid == parsed.txid)
        #expect(parsed.hasValidSignature && tx.hasValidSignature)
        let (again, againLeaf) = try Transaction.parseWithLeaf(try JSONValue.parse(leaf))
        #expect(againLeaf == leaf && again.unsignedBytes == tx.unsignedBytes)
        #expect(throws: RecordError.self) { try Transaction.signWithLeaf(type: .reading, body: [1, 2], key: key) }
    }

    @Test func blockLineFromLeavesIsTheCanonicalLine() throws {
        let key = try Ed25519.PrivateKey()
        let txs = try (0..<5).map { i in
            try Transaction.sign(type: .stamp, body: Stamp(height: 7, extranonce: Int64(i)).json, key: key)
        }
        let header = BlockHeader(version: 1, prev: SHA256.hash([1]), merkle: MerkleTree.root(leaves: txs.map(\.leaf)),
                                 time: 1_795_000_000, bits: 0x207f_ffff, nonce: 42)
        let block = Block(height: 7, header: header, txs: txs)
        #expect(block.canonicalLine(leaves: txs.map(\.leaf)) == block.canonicalLine)
        #expect(block.canonicalLine(leaves: []) == block.canonicalLine)
    }
}
