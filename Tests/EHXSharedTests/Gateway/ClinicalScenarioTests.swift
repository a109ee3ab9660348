import Foundation
import Testing
@testable import EHXShared

/// The clinical scenario suite (Tests/Scenarios, written by make-scenarios.py):
/// simulated patients, one monitor row a minute, each put through the CSV
/// import and the gateway exactly as `ehx-ingest --from csv --rules
/// rules.json` does, in the adaptive mode (the default) and in the fixed
/// mode (every baseline off). What each must raise comes from the RCP NEWS2
/// chart and its escalation table (expected.json):
///
/// * `detect`: an alert about `kind` between minutes `from` (default 0) and
///   `by`, at `level` or above, and with `real` not marked as an artefact;
/// * `count`: at least `min` alerts about `kind` with a `rule` reason (of
///   NEWS2 score `score` when given);
/// * `level`: every alert at `minute` has this level, `partial` and NEWS2 score;
/// * `artefact`: every alert from `from` to `to` is marked a suspected
///   artefact, and one is raised at `require` (marked, never silenced);
/// * `unmarked`: an alert about `kind` at `minute`, not marked;
/// * `absent`: at least `min` readings recorded as absent;
/// * `partial_all`: every alert's aggregate is labelled partial;
/// * `max_alerts`: no more alerts than that.
@Suite struct ClinicalScenarioTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios")

    static var expected: [[String: Any]] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("expected.json")),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["scenarios"] as? [[String: Any]] else { return [] }
        return list
    }

    static var names: [String] { expected.compactMap { $0["name"] as? String } }

    struct Run {
        var alerts: [JSONValue] = []
        var absent = 0
        var t0: Int64 = 0

        func minute(_ alert: JSONValue) -> Int {
            let ts = alert["ts"]?.stringValue.flatMap(Timestamp.init(rfc3339:))?.millisecondsSince1970 ?? 0
            return Int((ts - t0) / 60_000)
        }
    }

    /// The scenario's CSV through the import and the gateway, as ehx-ingest runs it.
    static func run(_ file: String, fixed: Bool) throws -> Run {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        var lines = text.split(separator: "\n").map { Array($0.utf8) }
        let header = try #require(CSVReadings.split(lines.removeFirst()))
        let table = try CSVReadings(header: header, overrides: [:], device: nil, patient: nil)
        var rules = try IngestRules(parsing: try JSONValue.parse(Array(try Data(contentsOf: directory.appendingPathComponent("rules.json")))))
        if fixed {
            for kind in ReadingKind.allCases { rules.kinds[kind, default: IngestRules.KindRule()].baseline = false }
        }
        var gateway = Gateway(gate: ReadingGate(keys: PSKFile(), now: Timestamp(rfc3339: "2026-11-28T00:00:00.000Z")!, workers: 1),
                              engine: RuleEngine(rules: rules))
        var result = Run(t0: Timestamp(rfc3339: "2026-11-26T08:00:00.000Z")!.millisecondsSince1970)
        for line in lines {
            for json in try table.readings(try #require(CSVReadings.split(line))) {
                let (reading, _, alert) = try gateway.process(json, authenticated: false)
                if reading.object["absent"] != nil { result.absent += 1 }
                if let alert { result.alerts.append(alert.json) }
            }
        }
        return result
    }

    static func order(_ level: String?) -> Int { ["low", "low-medium", "medium", "high"].firstIndex(of: level ?? "") ?? -1 }

    /// The checks a run fails, in words.
    static func failures(_ run: Run, checks: [[String: Any]]) -> [String] {
        var failed: [String] = []
        let alerts = run.alerts
        func kindOf(_ a: JSONValue) -> String { a["kind"]?.stringValue ?? "" }
        func marked(_ a: JSONValue) -> Bool { a["artefact"]?.boolValue == true }
        for check in checks {
            if let c = check["detect"] as? [String: Any] {
                let kind = c["kind"] as? String, from = c["from"] as? Int ?? 0, by = c["by"] as? Int ?? 0
                let hit = alerts.contains { a in
                    kindOf(a) == kind && (from...by).contains(run.minute(a))
                        && order(a["level"]?.stringValue) >= order(c["level"] as? String ?? "low")
                        && !(c["real"] as? Bool == true && marked(a))
                }
                if !hit { failed.append("detect \(c)") }
            }
            if let c = check["count"] as? [String: Any] {
                let n = alerts.filter { a in
                    kindOf(a) == c["kind"] as? String && (a["rules"]?.arrayValue ?? []).contains { r in
                        r["rule"]?.stringValue == c["rule"] as? String && (c["score"] == nil || r["score"]?.integerValue == Int64(c["score"] as? Int ?? -1))
                    }
                }.count
                if n < c["min"] as? Int ?? 0 { failed.append("count \(c): \(n)") }
            }
            if let c = check["level"] as? [String: Any] {
                let at = alerts.filter { run.minute($0) == c["minute"] as? Int }
                let ok = !at.isEmpty && at.allSatisfy { a in
                    a["level"]?.stringValue == c["level"] as? String && a["partial"]?.boolValue == c["partial"] as? Bool
                        && a["news2"]?["score"]?.integerValue == Int64(c["score"] as? Int ?? -1)
                }
                if !ok { failed.append("level \(c): \(at.map { "\($0["level"]?.stringValue ?? "?") partial \($0["partial"]?.boolValue.map(String.init) ?? "?") score \($0["news2"]?["score"]?.integerValue ?? -1)" })") }
            }
            if let c = check["artefact"] as? [String: Any] {
                let range = (c["from"] as? Int ?? 0)...(c["to"] as? Int ?? 0)
                let inside = alerts.filter { range.contains(run.minute($0)) }
                if !inside.allSatisfy(marked) { failed.append("artefact \(c): unmarked \(inside.filter { !marked($0) }.map(\.canonicalString))") }
                if !inside.contains(where: { run.minute($0) == c["require"] as? Int }) { failed.append("artefact \(c): no alert at \(c["require"] ?? "")") }
            }
            if let c = check["unmarked"] as? [String: Any] {
                let hit = alerts.contains { a in
                    run.minute(a) == c["minute"] as? Int && kindOf(a) == c["kind"] as? String && !marked(a)
                        && order(a["level"]?.stringValue) >= order(c["level"] as? String ?? "low")
                }
                if !hit { failed.append("unmarked \(c)") }
            }
            if let c = check["absent"] as? [String: Any], run.absent < c["min"] as? Int ?? 0 {
                failed.append("absent \(c): \(run.absent)")
            }
            if check["partial_all"] as? Bool == true, alerts.isEmpty || !alerts.allSatisfy({ $0["partial"]?.boolValue == true }) {
                failed.append("partial_all")
            }
            if let n = check["max_alerts"] as? Int, alerts.count > n {
                failed.append("max_alerts \(n): \(alerts.count): \(alerts.prefix(3).map { $0["reasons"]?.canonicalString ?? "" })")
            }
        }
        return failed
    }

    @Test func theSuiteIsHere() {
        #expect(Self.names.count >= 13, "Tests/Scenarios/expected.json")
    }

    @Test(arguments: names)
    func adaptiveModeMeetsTheChart(_ name: String) throws {
        let scenario = try #require(Self.expected.first { $0["name"] as? String == name })
        let run = try Self.run(try #require(scenario["file"] as? String), fixed: false)
        let failed = Self.failures(run, checks: scenario["checks"] as? [[String: Any]] ?? [])
        #expect(failed.isEmpty, "\(name): \(failed.joined(separator: "; "))")
    }

    @Test(arguments: names)
    func fixedModeMeetsTheChart(_ name: String) throws {
        let scenario = try #require(Self.expected.first { $0["name"] as? String == name })
        let run = try Self.run(try #require(scenario["file"] as? String), fixed: true)
        let failed = Self.failures(run, checks: scenario["checks"] as? [[String: Any]] ?? [])
        #expect(failed.isEmpty, "\(name): \(failed.joined(separator: "; "))")
    }
}
