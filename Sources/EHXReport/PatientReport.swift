import EHXShared
import Plot

/// `ehx-query report`: one patient's vital signs as a self-contained page.
/// The model is filled by the tool (which reads the chain and opens what the
/// key may open); `html()` draws it.
public struct PatientReport: Sendable {
    /// One reading the page shows (plain, or opened with the reader's key).
    public struct Reading: Sendable {
        public var t: Int64
        public var kind: ReadingKind
        public var value: JSONValue
        public var height: Int64
        public init(t: Int64, kind: ReadingKind, value: JSONValue, height: Int64) {
            self.t = t
            self.kind = kind
            self.value = value
            self.height = height
        }
    }

    public struct AlertMark: Sendable {
        public var t: Int64
        public var kind: ReadingKind
        public var value: JSONValue
        public var level: Alert.Level
        public var reasons: [String]
        public var height: Int64
        /// The SpO2 scale the gateway scored with, when the alert says.
        public var scale: Int?
        public var partial = false
        public var artefact = false
        public init(t: Int64, kind: ReadingKind, value: JSONValue, level: Alert.Level, reasons: [String], height: Int64,
                    scale: Int? = nil, partial: Bool = false, artefact: Bool = false) {
            self.t = t
            self.kind = kind
            self.value = value
            self.level = level
            self.reasons = reasons
            self.height = height
            self.scale = scale
            self.partial = partial
            self.artefact = artefact
        }

        public init(_ alert: Alert, height: Int64) {
            self.init(t: alert.ts.millisecondsSince1970, kind: alert.kind, value: alert.value, level: alert.level,
                      reasons: alert.reasons, height: height, scale: alert.news2?["scale"]?.integerValue.map(Int.init),
                      partial: alert.partial == true, artefact: alert.artefact == true)
        }

        /// "medium", "low (partial)", "low-medium (partial, suspected artefact)".
        public var label: String {
            let notes = (partial ? ["partial"] : []) + (artefact ? ["suspected artefact"] : [])
            return level.rawValue + (notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")")
        }
    }

    /// Where the data came from, for the footer.
    public struct Source: Sendable {
        /// The chain file read, or (with `database`) the one the verify command names.
        public var chainPath: String
        public var genesisHash: String
        public var tipHash: String
        public var tipHeight: Int64
        /// The database that answered without reading the chain file (a
        /// PostgreSQL index, named without its password); nil: the chain file.
        public var database: String?
        public init(chainPath: String, genesisHash: String, tipHash: String, tipHeight: Int64, database: String? = nil) {
            self.chainPath = chainPath
            self.genesisHash = genesisHash
            self.tipHash = tipHash
            self.tipHeight = tipHeight
            self.database = database
        }
    }

    public var patient: String
    public var since: Timestamp?
    public var until: Timestamp?
    public var readings: [Reading] = []
    public var alerts: [AlertMark] = []
    public var source: Source
    /// The reader's key id (hex), when a key was given.
    public var reader: String?
    /// Sealed readings or alerts of this patient's pseudonym the key could not open (not shown).
    public var notOpened = 0
    /// Sealed records that failed authentication (not shown).
    public var tampered = 0
    /// Readings and alerts opened with the key.
    public var opened = 0
    /// The command line that made the page.
    public var command: String
    /// The gateway's rules (freshness per parameter, SpO2 scale), so the
    /// strip scores as the gateway did; `ehx-query report --rules`.
    public var engine = RuleEngine()
    /// SpO2 scale 2: from the rules, else from the gateway's own alerts.
    public var scale2: Bool {
        engine.scale2(patient: patient) || alerts.contains { $0.scale == 2 }
    }

    public init(patient: String, since: Timestamp?, until: Timestamp?, source: Source, command: String) {
        self.patient = patient
        self.since = since
        self.until = until
        self.source = source
        self.command = command
    }

    /// The charts, in page order.
    public static let chartKinds: [ReadingKind] = [.heartRate, .temperature, .spo2, .respRate, .bloodPressure, .emg]

    // MARK: - Time range and NEWS2 over time

    /// The charts' time span: --since/--until when given, else the data's.
    public var span: (Int64, Int64) {
        let times = readings.map(\.t) + alerts.map(\.t)
        var lo = since?.millisecondsSince1970 ?? times.min() ?? 0
        var hi = until?.millisecondsSince1970 ?? times.max() ?? lo + 3_600_000
        if since == nil, until == nil, let mn = times.min(), let mx = times.max() { lo = mn; hi = mx }
        if hi <= lo { hi = lo + 60_000 }
        return (lo, hi)
    }

    /// The NEWS2 aggregate after each reading that feeds a parameter, as
    /// the gateway scores it (`NEWS2Timeline`): each parameter's freshness,
    /// the chart's resolution, the patient's SpO2 scale; a stale or absent
    /// one is missing, never scored 0, and the aggregate is then partial.
    public struct NEWS2Point: Sendable {
        public var t: Int64
        public var total: Int
        public var risk: Alert.Level
        public var missing: [NEWS2.Parameter]
        public var partial: Bool { !missing.isEmpty }
        public var label: String { risk.rawValue + (partial ? " (partial)" : "") }
    }

    public var news2Series: [NEWS2Point] {
        var timeline = NEWS2Timeline(engine: engine, patient: patient, scale2: scale2)
        var out: [NEWS2Point] = []
        for r in readings.sorted(by: { $0.t < $1.t }) {
            guard let a = timeline.add(kind: r.kind, value: r.value, ts: Timestamp(millisecondsSince1970: r.t)) else { continue }
            out.append(NEWS2Point(t: r.t, total: a.total, risk: a.risk, missing: a.missing))
        }
        return out
    }

    /// Runs of readings recorded as absent, per kind: (kind, first, last, count).
    public var absences: [(kind: ReadingKind, from: Int64, to: Int64, count: Int)] {
        var out: [(kind: ReadingKind, from: Int64, to: Int64, count: Int)] = []
        for kind in ReadingKind.allCases {
            var run: (from: Int64, to: Int64, count: Int)?
            for r in readings.filter({ $0.kind == kind }).sorted(by: { $0.t < $1.t }) {
                if r.value == .null {
                    run = run.map { ($0.from, r.t, $0.count + 1) } ?? (r.t, r.t, 1)
                } else if let done = run {
                    out.append((kind, done.from, done.to, done.count))
                    run = nil
                }
            }
            if let done = run { out.append((kind, done.from, done.to, done.count)) }
        }
        return out.sorted { $0.from < $1.from }
    }

    // MARK: - Page

    public func html() -> String {
        let (t0, t1) = span
        let series = news2Series
        var body: [Node<HTML.BodyContext>] = [header(series)]
        var main: [Node<HTML.BodyContext>] = []
        let charted = Set(Self.chartKinds)
        for kind in Self.chartKinds {
            let rs = readings.filter { $0.kind == kind }
            // Only EMG is optional equipment: an empty chart of it says nothing.
            if kind == .emg, rs.isEmpty { continue }
            let marks = alerts.filter { $0.kind == kind }
            main.append(VitalChart(kind: kind, readings: rs, alerts: marks, t0: t0, t1: t1).node)
        }
        main.append(NEWS2Strip(points: series, alerts: alerts.filter { !charted.contains($0.kind) }, t0: t0, t1: t1).node)
        main.append(alertTable())
        main.append(absenceTable())
        body.append(.main(.group(main)))
        body.append(footer())
        return Page.document(title: "ehx report: patient \(patient)", body: body)
    }

    private func header(_ series: [NEWS2Point]) -> Node<HTML.BodyContext> {
        let (t0, t1) = span
        var facts: [(String, Node<HTML.BodyContext>)] = []
        func fact(_ term: String, _ value: String) { facts.append((term, Page.text(value))) }
        fact("Patient", patient)
        fact("From", Timestamp(millisecondsSince1970: t0).description + (since == nil ? " (first record)" : ""))
        fact("Until", Timestamp(millisecondsSince1970: t1).description + (until == nil ? " (last record)" : " (exclusive)"))
        var counts: [String] = []
        for kind in ReadingKind.allCases {
            let n = readings.filter { $0.kind == kind }.count
            if n > 0 { counts.append("\(kind.rawValue) \(n)") }
        }
        let absentCount = readings.filter { $0.value == .null }.count
        fact("Readings", "\(readings.count)" + (counts.isEmpty ? "" : " (" + counts.joined(separator: ", ") + ")"))
        if absentCount > 0 { fact("Absent", "\(absentCount) readings recorded with no value (sensor off or no signal): see Sensor gaps") }
        fact("Alerts", "\(alerts.count)")
        if let reader {
            var s = "key \(reader.prefix(16)): \(opened) sealed record(s) opened"
            if notOpened > 0 { s += ", \(notOpened) not for this key (not shown)" }
            if tampered > 0 { s += ", \(tampered) failed authentication (not shown)" }
            fact("Reader", s)
        } else if notOpened > 0 {
            fact("Sealed", "\(notOpened) sealed record(s) not shown: give --key to open them")
        }
        var verdict: Node<HTML.BodyContext> = .empty
        if let worst = series.max(by: { ($0.total, Self.order($0.risk)) < ($1.total, Self.order($1.risk)) }) {
            let first = series.first { $0.total == worst.total }!
            let firstMedium = series.first { Self.order($0.risk) >= Self.order(.medium) }
            var text = "Highest NEWS2 aggregate \(worst.total) (\(worst.label) risk), first at \(Self.shortTime(first.t))"
            if let m = firstMedium, Self.order(worst.risk) >= Self.order(.medium) {
                text += "; medium or high risk from \(Self.shortTime(m.t))"
            }
            let cls = Self.order(worst.risk) >= Self.order(.medium) ? "bad" : worst.risk == .lowMedium ? "warn" : "ok"
            verdict = .p(.class("verdict " + cls), Page.attr("data-risk", worst.risk.rawValue), Page.text(text))
        }
        return .header(
            .h1(Page.text("Vital signs: patient \(patient)")),
            verdict,
            Page.facts(facts),
            .p(.class("meta"), Page.text("Times are UTC. NEWS2 bands (Royal College of Physicians, 2017) are shaded behind each line; SpO2 on scale \(scale2 ? 2 : 1). An aggregate scored from fewer than all seven parameters is marked partial. Circles mark alerts: hover for their reasons."))
        )
    }

    private func alertTable() -> Node<HTML.BodyContext> {
        var rows: [Node<HTML.TableContext>] = []
        for a in alerts.sorted(by: { $0.t < $1.t }) {
            rows.append(.tr(
                .class("alert-row"),
                .td(.class("time"), Page.text(Self.shortTime(a.t))),
                .td(.span(.class("level " + a.level.rawValue), Page.attr("style", "background:" + Page.colour(a.level)), Page.text(a.label))),
                .td(Page.text(a.kind.rawValue + " " + VitalChart.valueText(a.value, kind: a.kind))),
                .td(.ul(.group(a.reasons.map { .li(Page.text($0)) }))),
                .td(.class("num"), Page.text(String(a.height)))
            ))
        }
        let table: Node<HTML.BodyContext> = rows.isEmpty ? .p(Page.text("No alerts in this range.")) : .table(
            .class("alerts"),
            .thead(.tr(.th(Page.text("Time (UTC)")), .th(Page.text("Level")), .th(Page.text("Reading")), .th(Page.text("Reasons")), .th(Page.text("Block")))),
            .tbody(.group(rows))
        )
        return .section(.h2(Page.text("Alerts (\(alerts.count))")), table)
    }

    /// Where a sensor reported no value: the runs of absent readings.
    private func absenceTable() -> Node<HTML.BodyContext> {
        let runs = absences
        guard !runs.isEmpty else { return .empty }
        let rows: [Node<HTML.TableContext>] = runs.map { run in
            .tr(.class("absence-row"), Page.attr("data-kind", run.kind.rawValue),
                .td(.class("time"), Page.text(Self.shortTime(run.from))),
                .td(.class("time"), Page.text(Self.shortTime(run.to))),
                .td(Page.text(run.kind.rawValue)),
                .td(.class("num"), Page.text(String(run.count))))
        }
        return .section(.h2(Page.text("Sensor gaps (\(runs.count))")),
                        .p(.class("note"), Page.text("Readings recorded as absent: the monitor had no value (sensor off, leads off). Their parameter is missing from NEWS2 meanwhile.")),
                        .table(.class("absences"),
                               .thead(.tr(.th(Page.text("From (UTC)")), .th(Page.text("Until (UTC)")), .th(Page.text("Kind")), .th(Page.text("Readings")))),
                               .tbody(.group(rows))))
    }

    private func footer() -> Node<HTML.BodyContext> {
        let heights = Set(readings.map(\.height) + alerts.map(\.height)).sorted()
        // A database answers as of its tip, which a chain that has grown
        // since holds at that height: a checkpoint, not the chain's end.
        let pin = source.database == nil ? "--expect-tip \(source.tipHash)" : "--checkpoint \(source.tipHeight):\(source.tipHash)"
        let verify = "ehx-verify --genesis \(source.genesisHash) \(pin) \(Self.shellQuote(source.chainPath))"
        let origin = source.database.map { "Built from the PostgreSQL index \($0) (not from a chain file), which holds the chain through tip " }
            ?? "Built from chain file \(source.chainPath) with tip "
        return .footer(
            .p(Page.text(origin), .span(.class("hash"), Page.text(source.tipHash)),
               Page.text(" at height \(source.tipHeight); genesis "), .span(.class("hash"), Page.text(source.genesisHash)), Page.text(".")),
            .p(Page.attr("data-heights", Self.ranges(heights)),
               Page.text("Records from block heights: " + (heights.isEmpty ? "none" : Self.ranges(heights)) + ".")),
            .p(Page.text("ehx-query reads the chain as it is and does not judge it. Check that these blocks are intact, "
                         + (source.database == nil ? "" : "on a copy of the chain, ") + "from the genesis you were given to this tip:")),
            .pre(.class("verify-command"), Page.text(verify)),
            .p(Page.text("This page was made with:")),
            .pre(Page.text(command))
        )
    }

    // MARK: - Helpers

    /// "2026-11-26 08:42:31" (UTC).
    static func shortTime(_ t: Int64) -> String {
        let s = Timestamp(millisecondsSince1970: t).description
        return String(s.prefix(19)).replacingAll("T", with: " ")
    }

    static func order(_ level: Alert.Level) -> Int {
        switch level {
        case .low: return 0
        case .lowMedium: return 1
        case .medium: return 2
        case .high: return 3
        }
    }

    /// "0-3, 7, 9-12".
    public static func ranges(_ sorted: [Int64]) -> String {
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }

    /// POSIX shell quoting for commands shown on the page.
    public static func shellQuote(_ s: String) -> String {
        let safe = s.unicodeScalars.allSatisfy { c in
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "-_./:=@+,%".unicodeScalars.contains(c)
        }
        if safe && !s.isEmpty { return s }
        return "'" + s.replacingAll("'", with: "'\\''") + "'"
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
