import EHXReport
import EHXShared
import EHXTestSupport
import Foundation
import Testing

/// The patient page built in process from a model (no chain): structure,
/// counts, escaping, size with a week at 1 Hz.
@Suite(.enabled(if: HTMLCheck.available, "python3 with html.parser is needed to parse the page"))
struct ReportPatientPageTests {
    static let start: Int64 = 1_795_000_000_000 // 2026-11-18T…Z

    static func source() -> PatientReport.Source {
        .init(chainPath: "ward/chain.jsonl", genesisHash: String(repeating: "0", count: 64),
              tipHash: String(repeating: "a", count: 64), tipHeight: 42)
    }

    /// An hour of every vital sign, with a deterioration in the second half hour.
    static func hour() -> PatientReport {
        var r = PatientReport(patient: "P-0042", since: nil, until: nil, source: source(), command: "ehx-query report --patient P-0042")
        for i in 0..<60 {
            let t = start + Int64(i) * 60_000
            let worse = i >= 30
            r.readings.append(.init(t: t, kind: .heartRate, value: .number(worse ? 128 : 72), height: 1))
            r.readings.append(.init(t: t + 1000, kind: .spo2, value: .number(worse ? 91 : 97), height: 1))
            if i % 2 == 0 { r.readings.append(.init(t: t + 2000, kind: .respRate, value: .number(worse ? 26 : 16), height: 2)) }
            if i % 15 == 0 {
                r.readings.append(.init(t: t + 3000, kind: .temperature, value: .number(worse ? 39.2 : 36.8), height: 2))
                r.readings.append(.init(t: t + 4000, kind: .bloodPressure, value: ["systolic": .number(worse ? 98 : 122), "diastolic": .number(70)], height: 3))
                r.readings.append(.init(t: t + 5000, kind: .consciousness, value: .string("A"), height: 3))
            }
            if i % 5 == 0 { r.readings.append(.init(t: t + 6000, kind: .emg, value: .number(0.2 + Double(i) / 100), height: 3)) }
        }
        r.alerts.append(.init(t: start + 30 * 60_000, kind: .heartRate, value: .number(128), level: .medium,
                              reasons: ["heart_rate 128 /min scores 2 on NEWS2 (111-130)"], height: 4))
        r.alerts.append(.init(t: start + 31 * 60_000 + 1000, kind: .spo2, value: .number(91), level: .high,
                              reasons: ["spo2 91 % scores 3 on NEWS2 (<=91) (scale 1)", "NEWS2 aggregate 9: risk high (was medium)"], height: 4))
        r.alerts.append(.init(t: start + 45 * 60_000 + 5000, kind: .consciousness, value: .string("V"), level: .high,
                              reasons: ["consciousness V scores 3"], height: 5))
        return r
    }

    @Test func chartsHaveOnePointPerReadingAndOneMarkerPerAlert() throws {
        let report = Self.hour()
        let html = report.html()
        #expect(HTMLCheck.selfContainedProblems(html).isEmpty, "\(HTMLCheck.selfContainedProblems(html))")
        let page = try HTMLCheck.parse(html: html)
        for kind in PatientReport.chartKinds {
            let n = report.readings.filter { $0.kind == kind }.count
            let series = page.all("g", class: "series", where: "data-kind", is: kind.rawValue)
            #expect(series.count == 1, "\(kind)")
            #expect(series.first?.attrs["data-readings"] == String(n), "\(kind)")
            #expect(series.first?.attrs["data-points"] == String(n), "\(kind)")
            #expect(series.first?.attrs["data-buckets"] == nil, "\(kind)")
        }
        // The lines themselves: one vertex per reading (BP: systolic line, diastolic line, band of both).
        let lines = page.all("polyline", class: "line")
        let expected = [60, 60, 4, 30, 4, 12].reduce(0, +) + 4 // + the diastolic line
        #expect(lines.map { HTMLCheck.pointCount($0.attrs["points"]) }.reduce(0, +) == expected)
        #expect(HTMLCheck.pointCount(page.all("polygon", class: "bp-band").first?.attrs["points"]) == 8)

        let markers = page.all("circle", class: "alert-marker")
        #expect(markers.count == report.alerts.count)
        #expect(markers.compactMap(\.title).contains { $0.contains("NEWS2 aggregate 9: risk high (was medium)") })
        #expect(page.all("tr", class: "alert-row").count == 3)
        // Shaded NEWS2 bands behind the five scored vital signs.
        #expect(page.all("rect", class: "news2-band").count >= 5 * 2)
        // The aggregate strip turns red: the worst bar is high risk.
        let bars = page.all("rect", class: "bar")
        #expect(bars.contains { $0.attrs["data-risk"] == "high" })
        #expect(bars.contains { $0.attrs["data-risk"] == "low" })
        #expect(page.all("p", class: "verdict").first?.attrs["data-risk"] == "high")
        // Footer: tip, heights, the verify command.
        #expect(page.all(where: "data-heights").first?.attrs["data-heights"] == "1-5")
        #expect(html.contains("ehx-verify --genesis \(String(repeating: "0", count: 64)) --expect-tip \(String(repeating: "a", count: 64)) ward/chain.jsonl"))
    }

    @Test func hostileTextIsEscapedEverywhere() throws {
        var report = Self.hour()
        let evil = "</title></svg><script>alert(\"x\")</script> &lt;b&gt; 'q' https://evil.example/"
        report.patient = evil
        report.alerts[0].reasons = [evil]
        report.command = evil
        let html = report.html()
        #expect(!html.contains("<script"))
        #expect(!html.contains("</title></svg>"))
        let page = try HTMLCheck.parse(html: html)
        #expect(page.all("script").isEmpty)
        #expect(page.all("circle", class: "alert-marker").compactMap(\.title).contains { $0.contains(evil) })
    }

    @Test func aWeekAtOneHertzIsDownsampledPerPixelColumn() throws {
        let seconds = 7 * 86_400
        var report = PatientReport(patient: "P-7", since: Timestamp(millisecondsSince1970: Self.start),
                                   until: Timestamp(millisecondsSince1970: Self.start + Int64(seconds) * 1000),
                                   source: Self.source(), command: "ehx-query report --patient P-7")
        report.readings.reserveCapacity(seconds + seconds / 60)
        for i in 0..<seconds {
            let t = Self.start + Int64(i) * 1000
            // A slow daily wave, noise, and one spike on day 3.
            let v = 70 + 10 * sin(Double(i) / 86_400 * 2 * .pi) + Double(i % 7) - 3 + (i == 3 * 86_400 ? 80 : 0)
            report.readings.append(.init(t: t, kind: .heartRate, value: .number(v.rounded()), height: Int64(i / 600)))
            if i % 60 == 0 {
                report.readings.append(.init(t: t, kind: .bloodPressure, value: ["systolic": .number(120), "diastolic": .number(80)], height: Int64(i / 600)))
            }
        }
        report.alerts.append(.init(t: Self.start + 3 * 86_400_000, kind: .heartRate, value: .number(150), level: .high,
                                   reasons: ["heart_rate 150 /min scores 3 on NEWS2 (>=131)"], height: 432))
        let html = report.html()
        let bytes = html.utf8.count
        #expect(bytes < 3 << 20, "a week at 1 Hz made \(bytes) bytes")
        let page = try HTMLCheck.parse(html: html)
        let hr = try #require(page.all("g", class: "series", where: "data-kind", is: "heart_rate").first)
        #expect(hr.attrs["data-readings"] == String(seconds))
        let buckets = try #require(hr.attrs["data-buckets"].flatMap(Int.init))
        let columns = 960 - 64 - 30
        #expect(buckets == columns, "every pixel column of the week holds readings")
        let line = try #require(page.all("polyline", class: "line").first { $0.attrs["data-buckets"] == String(buckets) })
        #expect(HTMLCheck.pointCount(line.attrs["points"]) == 2 * buckets, "a minimum and a maximum per column")
        // The spike survives downsampling: some vertex is at the top of the chart's range.
        let ys = (line.attrs["points"] ?? "").split(separator: " ").compactMap { Double($0.split(separator: ",")[1]) }
        #expect(ys.min() ?? 999 < 40, "the 150/min spike is drawn")
        #expect(page.all("circle", class: "alert-marker").count == 1)
        let bp = try #require(page.all("g", class: "series", where: "data-kind", is: "blood_pressure").first)
        #expect(bp.attrs["data-readings"] == String(seconds / 60))
    }

    /// The strip scores as the gateway did: SpO2 on scale 2 for a patient
    /// the gateway scored on scale 2, staff-entered oxygen held, values at
    /// the chart's resolution; partial aggregates and sensor gaps are shown;
    /// no EMG chart without EMG.
    @Test func stripFollowsTheGatewayAndShowsAbsenceAndPartial() throws {
        var r = PatientReport(patient: "P-COPD", since: nil, until: nil, source: Self.source(), command: "ehx-query report --patient P-COPD")
        r.readings.append(.init(t: Self.start, kind: .oxygen, value: true, height: 1))
        for i in 0..<40 {
            let t = Self.start + Int64(i) * 60_000 + 1000
            r.readings.append(.init(t: t, kind: .spo2, value: .number(89), height: 1))
            r.readings.append(.init(t: t + 1, kind: .heartRate, value: i >= 20 && i < 25 ? .null : .number(80), height: 1))
        }
        // The gateway's alert says scale 2.
        r.alerts.append(.init(t: Self.start, kind: .oxygen, value: true, level: .low, reasons: ["oxygen scores 2"], height: 1,
                              scale: 2, partial: true))
        #expect(r.scale2)
        let series = r.news2Series
        // Scale 2: 89 % scores 0 (88-92), oxygen 2 held for the whole 40 minutes.
        #expect(series.last?.total == 2)
        #expect(series.allSatisfy { $0.partial })
        let html = r.html()
        let page = try HTMLCheck.parse(html: html)
        #expect(page.all("g", class: "series", where: "data-kind", is: "emg").isEmpty)
        #expect(page.all("tr", class: "absence-row").count == 1)
        #expect(html.contains("SpO2 on scale 2") && html.contains("low (partial)"))
        // Without the gateway's word, scale 1: 89 % scores 3.
        var plain = r
        plain.alerts = []
        #expect(plain.news2Series.last?.total == 5)
    }
}
