import Foundation
import Testing
@testable import EHXShared

@Suite struct NEWS2BandTests {
    /// news2.json's bands of one parameter, as (gt, le, score, applies_when).
    static func published(_ name: String) -> [(gt: Double?, le: Double?, score: Int, when: String?)]? {
        guard let root = SharedFiles.json("data/news2.json") as? [String: Any],
              let params = root["parameters"] as? [String: Any],
              let p = params[name] as? [String: Any], let bands = p["bands"] as? [[String: Any]] else { return nil }
        return bands.map { b in
            ((b["gt"] as? NSNumber)?.doubleValue, (b["le"] as? NSNumber)?.doubleValue,
             (b["score"] as? NSNumber)?.intValue ?? -1, b["applies_when"] as? String)
        }
    }

    static let numeric: [(String, NEWS2.Parameter, [NEWS2.Band], Double)] = [
        ("respiration_rate", .respirationRate, NEWS2.respirationRate, 1),
        ("spo2_scale_1", .spo2, NEWS2.spo2Scale1, 1),
        ("systolic_bp", .systolicBP, NEWS2.systolicBP, 1),
        ("pulse", .pulse, NEWS2.pulse, 1),
        ("temperature", .temperature, NEWS2.temperature, 0.1),
    ]

    @Test(arguments: numeric.map { $0.0 })
    func embeddedBandsMatchThePublishedTable(_ name: String) throws {
        guard let table = Self.published(name) else { return } // ../shared not here: skip
        let embedded = Self.numeric.first { $0.0 == name }!.2
        #expect(table.count == embedded.count)
        for (p, e) in zip(table, embedded) {
            #expect(p.gt == e.gt && p.le == e.le && p.score == e.score, "\(name) band \(e.label)")
        }
    }

    /// Every edge, at the chart's resolution: the value at `le` scores the
    /// band, one recording step above scores the next band; a value that
    /// charts as `gt` (less than half a step above it) scores the band below,
    /// one more than half a step above scores the band, and one exactly
    /// halfway scores the worse of the two.
    @Test(arguments: numeric.map { $0.0 })
    func everyBandEdgeScoresAsPublished(_ name: String) throws {
        let (_, parameter, embedded, step) = Self.numeric.first { $0.0 == name }!
        let table = Self.published(name) ?? embedded.map { ($0.gt, $0.le, $0.score, nil) }
        _ = parameter
        for (i, band) in table.enumerated() {
            if let le = band.le {
                #expect(NEWS2.score(parameter, value: .number(le)) == band.score, "\(name) \(le)")
                let above = ((le + step) * 10).rounded() / 10
                #expect(NEWS2.score(parameter, value: .number(above)) == table[i + 1].score, "\(name) \(above)")
            }
            if let gt = band.gt {
                let below = table[i - 1].score
                #expect(NEWS2.score(parameter, value: .number(gt + 0.4 * step)) == below, "\(name) \(gt)+0.4 step charts as \(gt)")
                #expect(NEWS2.score(parameter, value: .number(gt + 0.6 * step)) == band.score, "\(name) \(gt)+0.6 step")
                #expect(NEWS2.score(parameter, value: .number(gt + 0.5 * step)) == max(below, band.score), "\(name) \(gt)+0.5 step: the worse")
            }
        }
    }

    @Test func spo2Scale2EdgesOnAirAndOxygen() throws {
        let table = Self.published("spo2_scale_2") ?? (NEWS2.spo2Scale2Any.map { ($0.gt, $0.le, $0.score, Optional("any")) }
            + NEWS2.spo2Scale2Air.map { ($0.gt, $0.le, $0.score, Optional("air")) }
            + NEWS2.spo2Scale2Oxygen.map { ($0.gt, $0.le, $0.score, Optional("oxygen")) })
        for band in table {
            let modes: [Bool] = band.when == "any" ? [false, true] : [band.when == "oxygen"]
            for onOxygen in modes {
                if let le = band.le {
                    #expect(NEWS2.score(.spo2, value: .number(le), scale2: true, onOxygen: onOxygen) == band.score, "scale 2 \(le) oxygen \(onOxygen)")
                }
                if let gt = band.gt {
                    #expect(NEWS2.score(.spo2, value: .number(gt + 1), scale2: true, onOxygen: onOxygen) == band.score || band.le.map { gt + 1 > $0 } == true)
                }
            }
        }
        // At 93 % or more, scale 2 cannot be scored without knowing air or oxygen.
        #expect(NEWS2.score(.spo2, value: 95, scale2: true, onOxygen: nil) == nil)
        #expect(NEWS2.score(.spo2, value: 88, scale2: true, onOxygen: nil) == 0)
        #expect(NEWS2.score(.spo2, value: 88) == 3) // scale 1
    }

    @Test func categoricalParameters() {
        #expect(NEWS2.score(.consciousness, value: "A") == 0)
        for letter in ["C", "V", "P", "U"] { #expect(NEWS2.score(.consciousness, value: .string(letter)) == 3) }
        #expect(NEWS2.score(.airOrOxygen, value: true) == 2)
        #expect(NEWS2.score(.airOrOxygen, value: false) == 0)
        #expect(NEWS2.score(.systolicBP, value: ["systolic": 90, "diastolic": 60]) == 3)
    }

    @Test func riskFollowsThePublishedPrecedence() {
        #expect(NEWS2.risk(aggregate: 0, anyThree: false) == .low)
        #expect(NEWS2.risk(aggregate: 4, anyThree: false) == .low)
        #expect(NEWS2.risk(aggregate: 3, anyThree: true) == .lowMedium)
        #expect(NEWS2.risk(aggregate: 5, anyThree: false) == .medium)
        #expect(NEWS2.risk(aggregate: 6, anyThree: true) == .medium)
        #expect(NEWS2.risk(aggregate: 7, anyThree: false) == .high)
    }
}

@Suite struct NEWS2EngineTests {
    static func reading(_ kind: String, _ value: JSONValue, unit: String, seq: Int, minute: Int, patient: String = "P-1") throws -> SensorReading {
        let ts = Timestamp(millisecondsSince1970: 1_795_000_000_000 + Int64(minute) * 60_000)
        return try SensorReading(parsing: ["device": "d", "patient": .string(patient), "seq": .number(Double(seq)), "ts": .string(ts.description),
                                          "kind": .string(kind), "value": value, "unit": .string(unit)])
    }

    @Test func missingAndStaleParametersAreListedNeverScored() throws {
        let engine = RuleEngine()
        var state = IngestState()
        _ = engine.evaluate(try Self.reading("resp_rate", 25, unit: "/min", seq: 1, minute: 0), state: &state)
        let alert = try #require(engine.evaluate(try Self.reading("heart_rate", 135, unit: "/min", seq: 2, minute: 20), state: &state))
        let news2 = try #require(alert.news2)
        // The respiration is 20 minutes old: stale for a monitored parameter (15 minutes).
        #expect(news2["score"] == 3)
        #expect(news2["scores"]?["respiration_rate"] == nil)
        let missing = news2["missing"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(missing.contains("respiration_rate") && missing.contains("consciousness") && !missing.contains("pulse"))
        #expect(alert.level == .lowMedium)
        #expect(alert.partial == true && news2["partial"] == true)
    }

    /// Staff-entered values hold for their parameter's freshness (ACVPU and
    /// temperature 12 h, oxygen until changed), so a patient on oxygen does
    /// not drop to "low" when a round's entries pass 15 minutes.
    @Test func staffEnteredParametersHoldAndFreshnessIsConfigurable() throws {
        let engine = RuleEngine()
        var state = IngestState()
        _ = engine.evaluate(try Self.reading("oxygen", true, unit: "1", seq: 1, minute: 0), state: &state)
        _ = engine.evaluate(try Self.reading("consciousness", "V", unit: "1", seq: 2, minute: 0), state: &state)
        let later = try #require(engine.evaluate(try Self.reading("heart_rate", 95, unit: "/min", seq: 3, minute: 600), state: &state))
        #expect(later.news2?["scores"]?["air_or_oxygen"] == 2 && later.news2?["scores"]?["consciousness"] == 3)
        #expect(later.level == .medium)
        let rules = try IngestRules(parsing: try JSONValue.parse(#"{"v":1,"freshness":{"consciousness":"30m","air_or_oxygen":"held","pulse":"2m"}}"#))
        let strict = RuleEngine(rules: rules)
        #expect(strict.freshness(.consciousness) == 30 * 60_000 && strict.freshness(.pulse) == 120_000)
        #expect(strict.freshness(.airOrOxygen) == IngestRules.held && strict.freshness(.temperature) == 12 * 3_600_000)
        var s2 = IngestState()
        _ = strict.evaluate(try Self.reading("consciousness", "V", unit: "1", seq: 1, minute: 0), state: &s2)
        let a = try #require(strict.evaluate(try Self.reading("heart_rate", 95, unit: "/min", seq: 2, minute: 31), state: &s2))
        #expect(a.news2?["scores"]?["consciousness"] == nil)
        #expect(throws: RecordError.self) { try IngestRules(parsing: try JSONValue.parse(#"{"v":1,"freshness":{"pulse":"soon"}}"#)) }
        #expect(throws: RecordError.self) { try IngestRules(parsing: try JSONValue.parse(#"{"v":1,"freshness":{"glucose":"1h"}}"#)) }
    }

    /// The chart is drawn for whole numbers (temperature 0.1): each value
    /// of the issue scores as the chart records it.
    @Test func valuesBetweenTheChartsBandsScoreAsCharted() {
        #expect(NEWS2.score(.respirationRate, value: 8.4) == 3)
        #expect(NEWS2.score(.spo2, value: 91.4) == 3)
        #expect(NEWS2.score(.systolicBP, value: 90.4) == 3)
        #expect(NEWS2.score(.temperature, value: 35.04) == 3)
        // Halfway: the worse neighbour, never the more lenient one.
        #expect(NEWS2.score(.respirationRate, value: 8.5) == 3)
        #expect(NEWS2.score(.pulse, value: 130.5) == 3)
        #expect(NEWS2.score(.temperature, value: 35.05) == 3)
        #expect(NEWS2.score(.respirationRate, value: 8.6) == 1)
        #expect(NEWS2.chartedValue(8.4, parameter: .respirationRate) == 8 && NEWS2.chartedValue(35.04, parameter: .temperature) == 35)
    }

    @Test func aggregateRiseAlertsAndNamesTheMissing() throws {
        let engine = RuleEngine()
        var state = IngestState()
        _ = engine.evaluate(try Self.reading("resp_rate", 22, unit: "/min", seq: 1, minute: 0), state: &state) // 2
        _ = engine.evaluate(try Self.reading("temperature", 39.5, unit: "Cel", seq: 2, minute: 1), state: &state) // 2
        let alert = try #require(engine.evaluate(try Self.reading("heart_rate", 100, unit: "/min", seq: 3, minute: 2), state: &state)) // 1
        #expect(alert.level == .medium)
        #expect(alert.reasons.contains { $0.contains("NEWS2 aggregate 5: risk medium") && $0.contains("missing: air_or_oxygen") })
    }

    @Test func scale2OnlyForConfiguredPatients() throws {
        var rules = IngestRules()
        rules.patients["P-COPD"] = IngestRules.PatientRule(spo2Scale: 2)
        let engine = RuleEngine(rules: rules)
        var state = IngestState()
        // 89 % scores 3 on scale 1, 0 on scale 2.
        #expect(engine.evaluate(try Self.reading("spo2", 89, unit: "%", seq: 1, minute: 0, patient: "P-COPD"), state: &state) == nil)
        let other = try #require(engine.evaluate(try Self.reading("spo2", 89, unit: "%", seq: 2, minute: 0, patient: "P-2"), state: &state))
        #expect(other.news2?["scale"] == 1 && other.level == .lowMedium)
    }

    @Test func adaptiveAlertThatFixedThresholdsMiss() throws {
        let engine = RuleEngine(learn: 20)
        var state = IngestState()
        for i in 0..<20 { // resting pulse 60 ± 1
            #expect(engine.evaluate(try Self.reading("heart_rate", .number(Double(59 + i % 3)), unit: "/min", seq: i, minute: i), state: &state) == nil)
        }
        // 85/min scores 0 on NEWS2 (51-90): no fixed rule fires, the baseline does.
        #expect(NEWS2.score(.pulse, value: 85) == 0)
        let alert = try #require(engine.evaluate(try Self.reading("heart_rate", 85, unit: "/min", seq: 20, minute: 20), state: &state))
        #expect(alert.rules?.first?["rule"] == "baseline")
        #expect(alert.level == .low)
    }

    /// A baseline may add alerts, never remove what NEWS2 escalates: a
    /// learned 45/min (NEWS2 1) still alerts as the chart says.
    @Test func baselineNeverRemovesANEWS2Alert() throws {
        let engine = RuleEngine(learn: 20)
        var state = IngestState()
        for i in 0..<20 { // resting 45/min: NEWS2 scores 1 (41-50)
            #expect(engine.evaluate(try Self.reading("heart_rate", .number(Double(44 + i % 3)), unit: "/min", seq: i, minute: i), state: &state) != nil)
        }
        let a = try #require(engine.evaluate(try Self.reading("heart_rate", 45, unit: "/min", seq: 20, minute: 20), state: &state))
        #expect(a.rules?.first?["rule"] == "news2")
        #expect(engine.evaluate(try Self.reading("heart_rate", 40, unit: "/min", seq: 21, minute: 21), state: &state) != nil)
    }

    /// A drift inside the normal bands that the moving baseline follows:
    /// the CUSUM against the admission baseline alerts once, naming its rule.
    @Test func driftAgainstTheAdmissionBaselineAlertsOncePerExcursion() throws {
        let engine = RuleEngine(learn: 30)
        var state = IngestState()
        var fired: [Int] = []
        for m in 0..<90 { // 60 ± 1 for 30 minutes, then +0.3/min: 60 -> 78, inside 51-90
            let hr = m < 30 ? 60 + Double(m % 3) - 1 : 60 + 0.3 * Double(m - 30)
            if let a = engine.evaluate(try Self.reading("heart_rate", .number(hr), unit: "/min", seq: m, minute: m), state: &state),
               a.rules?.contains(where: { $0["rule"] == "cusum" }) == true {
                fired.append(m)
                #expect(a.reasons.contains { $0.contains("admission baseline") })
            }
        }
        #expect(fired.count == 1)
        #expect((fired.first ?? 99) < 60) // long before NEWS2's 91
    }

    @Test func rulesFileThresholdsPerPatientOverridePerKind() throws {
        let rules = try IngestRules(parsing: try JSONValue.parse(#"{"v":1,"kinds":{"heart_rate":{"max":100}},"patients":{"P-9":{"kinds":{"heart_rate":{"max":80,"baseline":false}}}}}"#))
        let engine = RuleEngine(rules: rules)
        var state = IngestState()
        let a = try #require(engine.evaluate(try Self.reading("heart_rate", 85, unit: "/min", seq: 1, minute: 0, patient: "P-9"), state: &state))
        #expect(a.rules?.first?["max"] == 80)
        #expect(engine.evaluate(try Self.reading("heart_rate", 85, unit: "/min", seq: 2, minute: 0, patient: "P-1"), state: &state) == nil)
        #expect(throws: RecordError.self) { try IngestRules(parsing: try JSONValue.parse(#"{"v":1,"kinds":{"glucose":{}}}"#)) }
        #expect(throws: RecordError.self) { try IngestRules(parsing: try JSONValue.parse(#"{"v":1,"kinds":{"heart_rate":{"min":90,"max":80}}}"#)) }
    }

    @Test func alertBodiesStaySignableAndStrict() throws {
        let engine = RuleEngine()
        var state = IngestState()
        let alert = try #require(engine.evaluate(try Self.reading("heart_rate", 135, unit: "/min", seq: 1, minute: 0), state: &state, ref: String(repeating: "ab", count: 32)))
        try TransactionBody.check(alert.json, type: .alert)
        var extra = alert.json.objectValue!
        extra["note"] = "x"
        #expect(throws: RecordError.self) { try TransactionBody.check(.object(extra), type: .alert) }
        var badRule = alert.json.objectValue!
        badRule["rules"] = [["rule": "astrology"]]
        #expect(throws: RecordError.self) { try TransactionBody.check(.object(badRule), type: .alert) }
    }
}
