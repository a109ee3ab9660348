import EHXShared
import Foundation
import Testing

/// Each tamper on a fresh copy of a valid chain must make ehx-verify exit 1
/// with a `FILE:LINE:` problem naming the tampered line and the rule.
/// The fixture chain: line 1 genesis, lines 2–6 blocks 1–5 (60 readings each).
@Suite struct EndToEndTamper {
    /// Block 2, i.e. line 3 of the chain file.
    static let index = 2
    static let line = 3

    private func expectCaught(_ report: VerifyReport, line: Int, anyOf rules: Set<String>,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.status == 1, "\(report)", sourceLocation: sourceLocation)
        #expect(!report.result.signaled, sourceLocation: sourceLocation)
        let onLine = report.rules(onLine: line)
        #expect(!onLine.isDisjoint(with: rules), "expected \(rules) on line \(line), got \(onLine)\n\(report)",
                sourceLocation: sourceLocation)
        #expect(report.problems.allSatisfy { $0.line > 0 && $0.text.hasPrefix("\(report.file):\($0.line): ") },
                "every problem line starts with FILE:LINE:\n\(report)", sourceLocation: sourceLocation)
    }

    @Test func changedReadingValueBreaksSignatureAndMerkle() throws {
        let dir = try Scratch("tamper-value")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let report = try f.verifyTampered { lines in
            try ChainFixture.editBlock(&lines, Self.index) { block in
                guard case .array(let txs)? = block.value(at: ["txs"]),
                      let i = txs.indices.first(where: { txs[$0].value(at: ["body", "value"])?.numberValue != nil }),
                      let value = txs[i].value(at: ["body", "value"])?.numberValue else {
                    throw TestFailure("no numeric reading in block 2")
                }
                return block.setting(["txs", .index(i), "body", "value"], to: .number(value + 1))
            }
        }
        expectCaught(report, line: Self.line, anyOf: ["signature", "merkle"])
        #expect(report.rules(onLine: Self.line).isSuperset(of: ["signature", "merkle"]), "\(report)")
        #expect(report.problems.allSatisfy { $0.line == Self.line }, "only the tampered line is reported\n\(report)")
    }

    @Test func swappedTransactionsBreakMerkle() throws {
        let dir = try Scratch("tamper-swap")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let report = try f.verifyTampered { lines in
            try ChainFixture.editBlock(&lines, Self.index) { block in
                guard let a = block.value(at: ["txs", 1]), let b = block.value(at: ["txs", 2]) else { throw TestFailure("block too small") }
                return block.setting(["txs", 1], to: b).setting(["txs", 2], to: a)
            }
        }
        expectCaught(report, line: Self.line, anyOf: ["merkle"])
        #expect(report.problems.allSatisfy { $0.line == Self.line }, "\(report)")
    }

    @Test func droppedBlockLineBreaksTheLinkAfterTheGap() throws {
        let dir = try Scratch("tamper-drop")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let report = try f.verifyTampered { lines in lines.remove(at: Self.index) }
        // Block 3 now sits on line 3, after block 1.
        expectCaught(report, line: Self.line, anyOf: ["prev", "height"])
        #expect(report.rules(onLine: Self.line).isSuperset(of: ["prev", "height"]), "\(report)")
        #expect(report.problems.allSatisfy { $0.line == Self.line }, "\(report)")
    }

    @Test func editedBitsBreakHashOrWork() throws {
        let dir = try Scratch("tamper-bits")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let report = try f.verifyTampered { lines in
            try ChainFixture.editBlock(&lines, Self.index) { $0.setting(["header", "bits"], to: "1d00ffff") }
        }
        expectCaught(report, line: Self.line, anyOf: ["bits", "hash", "pow"])
        #expect(report.rules(onLine: Self.line).isSuperset(of: ["bits", "hash", "pow"]), "\(report)")
        #expect(report.problems.allSatisfy { $0.line >= Self.line }, "nothing before the tampered line\n\(report)")
    }

    @Test func signatureFromAnotherTransactionIsRefused() throws {
        let dir = try Scratch("tamper-sig")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        var txid = ""
        let report = try f.verifyTampered { lines in
            try ChainFixture.editBlock(&lines, Self.index) { block in
                guard let sig = block.value(at: ["txs", 2, "sig"]), let tx = block.value(at: ["txs", 1]) else {
                    throw TestFailure("block too small")
                }
                var unsigned = tx.objectValue ?? [:]
                unsigned["sig"] = nil
                txid = SHA256.hash(JSONValue.object(unsigned).canonicalBytes()).hex
                return block.setting(["txs", 1, "sig"], to: sig)
            }
        }
        expectCaught(report, line: Self.line, anyOf: ["signature"])
        let signatureProblems = report.problems.filter { $0.rule == "signature" }
        #expect(signatureProblems.count == 1, "\(report)")
        #expect(signatureProblems.first?.text.contains("tx \(txid)") == true, "names the tx whose sig was replaced\n\(report)")
    }
}
