import EHXShared
import Foundation
import Testing

/// The independent forger's corpus (Tests/Forger, Python with
/// `cryptography` and `rfc8785`, none of ehx's code): one generated chain
/// or proof per attack, named after the rule it breaks, and valid edge
/// cases. ehx-verify must refuse each attack with that rule on the right
/// line and block, ehx-mine must refuse to extend each forged chain and to
/// take each forged transaction, and both must accept the edge cases.
enum ForgerCorpus {
    static let pythonPath: String = ProcessInfo.processInfo.environment["EHX_FORGER_PYTHONPATH"]
        ?? Package.root.appendingPathComponent(".deps/python").path

    static let script = Package.root.appendingPathComponent("Tests/Forger/forge.py").path

    /// python3 with both modules (make test-deps installs rfc8785 into .deps/python).
    static let available: Bool = {
        guard Tool.hasCommand("python3"),
              let r = try? Tool.shell("PYTHONPATH='\(pythonPath)' python3 -c 'import cryptography, rfc8785'", timeout: 60)
        else { return false }
        return r.status == 0 && !r.signaled
    }()

    struct Case {
        let name: String
        let rule: String
        let object: [String: Any]
        var verify: [String: Any] { object["verify"] as? [String: Any] ?? [:] }
        var knownIssue: String? { object["known_issue"] as? String }
    }

    /// Generates the corpus into `dir` and reads its manifest.
    static func generate(into dir: Scratch) throws -> [Case] {
        let r = try Tool.shell("PYTHONPATH='\(pythonPath)' python3 '\(script)' '\(dir.path("corpus"))'", timeout: 600)
        guard r.status == 0 else { throw TestFailure("forge.py failed: \(r)") }
        let manifest = try JSONLine.object(Data(try Files.bytes(dir.path("corpus/manifest.json"))))
        let cases = manifest["cases"] as? [[String: Any]] ?? []
        return cases.map { Case(name: $0["name"] as? String ?? "?", rule: $0["rule"] as? String ?? "", object: $0) }
    }
}

@Suite(.serialized) struct EndToEndForgerCorpus {
    @Test(.enabled(if: ForgerCorpus.available, "python3 with cryptography and rfc8785 (make test-deps)"))
    func everyForgeryIsRefusedAndEveryEdgeCaseAccepted() throws {
        let dir = try Scratch("forger")
        defer { dir.remove() }
        let cases = try ForgerCorpus.generate(into: dir)
        #expect(cases.count >= 40, "the corpus has only \(cases.count) cases")

        // Every rule a chain can break has at least one forgery named after it.
        let chainRules = Set(ChainProblem.Rule.allCases.map(\.rawValue))
        let covered = Set(cases.map(\.rule))
        #expect(chainRules.subtracting(covered).isEmpty, "rules without a forgery: \(chainRules.subtracting(covered).sorted())")
        #expect(cases.contains { $0.rule.isEmpty }, "no valid edge case")

        let corpus = dir.path("corpus")
        for item in cases {
            if let issue = item.knownIssue {
                withKnownIssue("\(item.name): \(issue)") { try check(item, in: corpus) }
            } else {
                try check(item, in: corpus)
            }
        }
    }

    private func check(_ item: ForgerCorpus.Case, in corpus: String) throws {
        let verify = item.verify
        let args = verify["args"] as? [String] ?? []
        let status = verify["status"] as? Int ?? -1
        let expected = verify["problems"] as? [[String: Any]] ?? []
        let isProof = args.contains("--proof")
        let result = try Tool.run("ehx-verify", (isProof ? [] : ["--json"]) + args, directory: corpus)
        #expect(result.status == Int32(status) && !result.signaled, "\(item.name): ehx-verify \(args): \(result)\nstdout: \(result.out.prefix(2000))")
        if let text = verify["stderr"] as? String {
            #expect(result.err.contains(text), "\(item.name): stderr lacks \"\(text)\": \(result)")
        }
        if isProof {
            for want in expected {
                let rule = want["rule"] as? String ?? "?"
                #expect(result.outLines.contains { $0.contains(": \(rule): ") }, "\(item.name): no \(rule) problem in: \(result.out)")
            }
        } else {
            let objects = result.outLines.compactMap { try? JSONLine.object($0) }
            let problems = objects.filter { $0["verdict"] == nil }.map { p in
                "\(p["line"] as? Int ?? -1)/\(p["height"] as? Int ?? -1)/\(p["rule"] as? String ?? "?")"
            }
            let wanted = expected.map { "\($0["line"] as? Int ?? -1)/\($0["height"] as? Int ?? -1)/\($0["rule"] as? String ?? "?")" }
            for w in wanted {
                #expect(problems.contains(w), "\(item.name): expected line/height/rule \(w), got \(problems)")
            }
            for want in expected {
                guard let detail = want["detail"] as? String else { continue }
                let rule = want["rule"] as? String ?? "?"
                #expect(objects.contains { ($0["rule"] as? String) == rule && ($0["detail"] as? String ?? "").contains(detail) },
                        "\(item.name): no \(rule) problem saying \"\(detail)\": \(result.out)")
            }
            if verify["exact"] as? Bool ?? false {
                #expect(Set(problems) == Set(wanted), "\(item.name): expected only \(wanted), got \(problems)")
            }
        }
        // ehx-mine after ehx-verify: a mine that wrongly succeeds appends.
        for key in ["mine", "mine_input"] {
            guard let mine = item.object[key] as? [String: Any] else { continue }
            let mineArgs = (mine["args"] as? [String] ?? []) + ["--threads", "1"]
            let want = mine["status"] as? Int ?? -1
            let r = try Tool.run("ehx-mine", mineArgs, directory: corpus)
            #expect(r.status == Int32(want) && !r.signaled, "\(item.name): ehx-mine \(mineArgs): \(r)")
            if let rule = mine["rule"] as? String, !rule.isEmpty {
                #expect(r.err.contains("\(rule):"), "\(item.name): ehx-mine does not name \(rule): \(r)")
            }
        }
    }
}
