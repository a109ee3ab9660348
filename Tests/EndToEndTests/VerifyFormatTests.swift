import Foundation
import Testing

/// ehx-verify on the chain as written and on byte-level damage that is not
/// a change of meaning: re-serialization, a cut last line, wrong pins.
@Suite struct EndToEndVerifyFormat {
    @Test func unmodifiedChainPasses() throws {
        let dir = try Scratch("verify-ok")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let pinned = try f.verify(nil, ["--expect-tip", try f.tipHash()])
        #expect(pinned.status == 0, "\(pinned)")
        #expect(pinned.result.out.isEmpty, "\(pinned)")
        #expect(pinned.result.err.contains("valid (genesis pinned, tip pinned)"), "\(pinned)")

        let unpinned = try Tool.run("ehx-verify", [f.chain])
        #expect(unpinned.status == 0, "\(unpinned)")
        #expect(unpinned.err.contains("consistent, genesis not pinned"), "\(unpinned)")

        // The same chain on stdin.
        let piped = try Tool.run("ehx-verify", ["--genesis", f.genesisHash], stdin: .file(f.chain))
        #expect(piped.status == 0, "\(piped)")
    }

    @Test func reserializedButEquivalentLineIsNotCanonical() throws {
        let dir = try Scratch("verify-canonical")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let report = try f.verifyTampered { lines in
            lines[2] = Array("{ ".utf8) + lines[2].dropFirst() // same JSON value, one more space
        }
        #expect(report.status == 1, "\(report)")
        #expect(report.rules(onLine: 3) == ["canonical"], "\(report)")
        #expect(report.problems.allSatisfy { $0.line == 3 }, "\(report)")
    }

    @Test func lastLineWithoutNewlineIsTruncated() throws {
        let dir = try Scratch("verify-truncated")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let last = try f.chainLines().count

        let noNewline = try f.verifyTampered("no-newline.jsonl", trailingNewline: false) { _ in }
        #expect(noNewline.status == 1, "\(noNewline)")
        #expect(noNewline.rules(onLine: last).contains("truncated"), "\(noNewline)")

        let cut = try f.verifyTampered("cut.jsonl", trailingNewline: false) { lines in
            lines[lines.count - 1] = Array(lines[lines.count - 1].prefix(lines[lines.count - 1].count / 2))
        }
        #expect(cut.status == 1, "\(cut)")
        #expect(cut.rules(onLine: last).contains("truncated"), "\(cut)")
        #expect(cut.problems.allSatisfy { $0.line == last }, "\(cut)")
    }

    @Test func wrongExpectedTipIsAPinProblem() throws {
        let dir = try Scratch("verify-tip")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        // A real hash of this chain, but not its tip (as if the chain were extended).
        let blockOne = try f.query(["block", "1", "--hash"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let report = try f.verify(nil, ["--expect-tip", blockOne])
        #expect(report.status == 1, "\(report)")
        #expect(report.problems.map(\.rule) == ["pin"], "\(report)")
        #expect(report.problems.first?.line == (try f.chainLines().count), "\(report)")

        // A truncated chain against its real tip.
        let truncated = try f.verifyTampered { lines in lines.removeLast() }
        let pinnedTruncated = try f.verify(truncated.file, ["--expect-tip", try f.tipHash()])
        #expect(pinnedTruncated.status == 1, "\(pinnedTruncated)")
        #expect(pinnedTruncated.problems.map(\.rule) == ["pin"], "\(pinnedTruncated)")
    }

    @Test func wrongGenesisPinFails() throws {
        let dir = try Scratch("verify-genesis")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let wrong = String(repeating: "0", count: 4) + String(f.genesisHash.dropFirst(4).reversed())
        let report = try Tool.run("ehx-verify", ["--genesis", wrong, f.chain])
        #expect(report.status == 1, "\(report)")
        let parsed = VerifyReport(file: f.chain, result: report)
        #expect(parsed.rules(onLine: 1) == ["pin"], "\(parsed)")
        #expect(!report.err.contains("valid ("), "\(report)")
    }
}
