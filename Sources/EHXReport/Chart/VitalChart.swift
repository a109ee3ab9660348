import EHXShared
import Plot

/// One vital sign over time: NEWS2 bands behind, the line (downsampled per
/// pixel column), alert markers on top.
struct VitalChart {
    let kind: ReadingKind
    let readings: [PatientReport.Reading]
    let alerts: [PatientReport.AlertMark]
    let t0: Int64
    let t1: Int64

    var title: String {
        switch kind {
        case .heartRate: return "Heart rate"
        case .temperature: return "Temperature"
        case .spo2: return "SpO2"
        case .respRate: return "Respiration rate"
        case .bloodPressure: return "Blood pressure (systolic to diastolic)"
        case .emg: return "EMG (RMS)"
        case .consciousness: return "Consciousness"
        case .oxygen: return "Supplemental oxygen"
        }
    }

    static func unitLabel(_ kind: ReadingKind) -> String {
        switch kind {
        case .temperature: return "°C"
        case .bloodPressure: return "mmHg"
        case .consciousness, .oxygen: return ""
        default: return kind.unit
        }
    }

    /// The range shown even when the data are quiet, so a normal reading looks normal.
    var defaultRange: (Double, Double) {
        switch kind {
        case .heartRate: return (30, 150)
        case .temperature: return (34, 40.5)
        case .spo2: return (85, 100)
        case .respRate: return (5, 30)
        case .bloodPressure: return (40, 200)
        default: return (0, 1)
        }
    }

    var bands: [NEWS2.Band] {
        switch kind {
        case .heartRate: return NEWS2.pulse
        case .temperature: return NEWS2.temperature
        case .spo2: return NEWS2.spo2Scale1
        case .respRate: return NEWS2.respirationRate
        case .bloodPressure: return NEWS2.systolicBP
        default: return []
        }
    }

    static func valueText(_ value: JSONValue, kind: ReadingKind) -> String {
        let unit = kind.unit == "1" ? "" : " " + unitLabel(kind)
        if kind == .bloodPressure, let s = value["systolic"]?.numberValue {
            // A systolic alone (the diastolic null): "120/- mmHg".
            return JCS.serialize(number: s) + "/" + (value["diastolic"]?.numberValue.map { JCS.serialize(number: $0) } ?? "-") + unit
        }
        if let n = value.numberValue { return JCS.serialize(number: n) + unit }
        return value.canonicalString
    }

    /// (systolic or value, diastolic) of a reading.
    static func numbers(_ value: JSONValue, kind: ReadingKind) -> (Double, Double?)? {
        if kind == .bloodPressure {
            // A systolic alone is drawn on the systolic line.
            guard let s = value["systolic"]?.numberValue else { return nil }
            return (s, value["diastolic"]?.numberValue)
        }
        return value.numberValue.map { ($0, nil) }
    }

    var node: Node<HTML.BodyContext> {
        var primary: [Downsample.Sample] = []
        var secondary: [Downsample.Sample] = []
        primary.reserveCapacity(readings.count)
        for r in readings.sorted(by: { $0.t < $1.t }) {
            guard let (a, b) = Self.numbers(r.value, kind: kind) else { continue }
            primary.append(.init(t: r.t, v: a))
            if let b { secondary.append(.init(t: r.t, v: b)) }
        }
        var lo = defaultRange.0, hi = defaultRange.1
        for s in primary + secondary {
            lo = min(lo, s.v)
            hi = max(hi, s.v)
        }
        if kind == .emg { hi *= 1.1 }
        let pad = (hi - lo) * 0.04
        let frame = Frame(height: 190, t0: t0, t1: t1, y0: kind == .spo2 ? lo - pad : max(0, lo - pad), y1: kind == .spo2 ? min(100.5, hi + pad) : hi + pad)

        var layers: [SVG] = []
        // NEWS2 bands behind everything.
        var bandRects: [SVG] = []
        for band in bands where band.score > 0 {
            let top = frame.y(band.le ?? frame.y1)
            let bottom = frame.y(band.gt ?? frame.y0)
            guard bottom - top > 0.5 else { continue }
            bandRects.append(SVG.rect(x: frame.left, y: top, width: frame.plotWidth, height: bottom - top)
                .fill(Page.bandColour(band.score)).cssClass("news2-band").data("score", String(band.score))
                .titled("NEWS2 \(band.score): \(band.label) \(Self.unitLabel(kind))"))
        }
        layers.append(SVG.group(bandRects))
        layers.append(frame.axes(unit: Self.unitLabel(kind)))

        let downsampled = primary.count > frame.columns
        var series = SVG.group().cssClass("series").data("kind", kind.rawValue).data("readings", String(primary.count))
        if downsampled {
            let top = Downsample.buckets(primary, t0: frame.t0, t1: frame.t1, columns: frame.columns)
            series = series.data("buckets", String(top.count)).data("downsampled", "per-pixel-column min/max")
            if kind == .bloodPressure {
                let bottom = Downsample.buckets(secondary, t0: frame.t0, t1: frame.t1, columns: frame.columns)
                let band = top.map { (frame.x(column: $0.column), frame.y($0.max.v)) }
                    + bottom.reversed().map { (frame.x(column: $0.column), frame.y($0.min.v)) }
                series = series.adding(SVG.polygon(band).cssClass("bp-band"))
                series = series.adding(SVG.polyline(Self.bucketPoints(bottom, frame)).cssClass("line dia").data("buckets", String(bottom.count)))
            }
            series = series.adding(SVG.polyline(Self.bucketPoints(top, frame)).cssClass("line").data("buckets", String(top.count)))
        } else {
            series = series.data("points", String(primary.count))
            if kind == .bloodPressure {
                let band = primary.map { (frame.x($0.t), frame.y($0.v)) } + secondary.reversed().map { (frame.x($0.t), frame.y($0.v)) }
                series = series.adding(SVG.polygon(band).cssClass("bp-band"))
                series = series.adding(SVG.polyline(secondary.map { (frame.x($0.t), frame.y($0.v)) }).cssClass("line dia")
                    .data("points", String(secondary.count)))
            }
            series = series.adding(SVG.polyline(primary.map { (frame.x($0.t), frame.y($0.v)) }).cssClass("line")
                .data("points", String(primary.count)))
            // Sparse series (ward rounds): each reading also as a dot, so two readings do not read as a trend.
            if primary.count <= 120 {
                series = series.adding(SVG.group((primary + secondary).map {
                    SVG.circle(cx: frame.x($0.t), cy: frame.y($0.v), r: 2.2).cssClass("dot")
                }))
            }
        }
        layers.append(series)

        var markers: [SVG] = []
        for a in alerts.sorted(by: { $0.t < $1.t }) {
            let v = Self.numbers(a.value, kind: kind)?.0 ?? frame.y1
            markers.append(Self.marker(a, x: frame.x(a.t), y: frame.y(v)))
        }
        layers.append(SVG.group(markers).cssClass("alerts"))

        let svg = SVG.root(width: frame.width, height: frame.height, label: "\(title) over time", layers)
            .data("kind", kind.rawValue)
        let note: String
        if primary.isEmpty {
            note = "No \(kind.rawValue) readings in this range."
        } else if downsampled {
            note = "\(primary.count) readings drawn as per-pixel-column minimum and maximum."
        } else {
            note = "\(primary.count) readings."
        }
        return .section(.class("chart"), Page.attr("data-kind", kind.rawValue),
                        .h2(Page.text(title + (Self.unitLabel(kind).isEmpty ? "" : " (\(Self.unitLabel(kind)))"))),
                        .p(.class("note"), Page.text(note)), Page.svg(svg))
    }

    static func bucketPoints(_ buckets: [Downsample.Bucket], _ frame: Frame) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        out.reserveCapacity(buckets.count * 2)
        for b in buckets {
            let x = frame.x(column: b.column)
            // Both ends of the column's range, even when equal: two points per bucket.
            let (first, second) = b.min.t <= b.max.t ? (b.min, b.max) : (b.max, b.min)
            out.append((x, frame.y(first.v)))
            out.append((x, frame.y(second.v)))
        }
        return out
    }

    /// An alert: a circle in its level's colour, its reasons in the tooltip.
    static func marker(_ a: PatientReport.AlertMark, x: Double, y: Double) -> SVG {
        let tip = "\(Timestamp(millisecondsSince1970: a.t)) \(a.level.rawValue): \(a.kind.rawValue) \(valueText(a.value, kind: a.kind))\n"
            + a.reasons.map { "• " + $0 }.joined(separator: "\n")
        return SVG.circle(cx: x, cy: y, r: 5).cssClass("alert-marker").fill(Page.colour(a.level))
            .data("level", a.level.rawValue).data("t", String(a.t)).titled(tip)
    }
}

/// The NEWS2 aggregate over time: a bar per pixel column (its worst value),
/// coloured by clinical risk; alerts of kinds without a chart are marked here.
struct NEWS2Strip {
    let points: [PatientReport.NEWS2Point]
    let alerts: [PatientReport.AlertMark]
    let t0: Int64
    let t1: Int64

    var node: Node<HTML.BodyContext> {
        let maxScore = max(10, points.map(\.total).max() ?? 0)
        let frame = Frame(height: 150, t0: t0, t1: t1, y0: 0, y1: Double(maxScore) + 0.5)
        var layers: [SVG] = [frame.axes(unit: "NEWS2 aggregate", integer: true)]
        // Worst point per column; a column holds its value until the next point.
        var worst: [Int: PatientReport.NEWS2Point] = [:]
        for p in points {
            let c = frame.column(p.t)
            if let w = worst[c], (w.total, PatientReport.order(w.risk)) >= (p.total, PatientReport.order(p.risk)) { continue }
            worst[c] = p
        }
        var bars: [SVG] = []
        var runStart: Int?
        var current: PatientReport.NEWS2Point?
        var lastColumnWithData = -1
        func flush(until end: Int) {
            guard let s = runStart, let p = current, end > s else { return }
            // A score of 0 still shows as a thin green bar: scored, and low.
            let y = min(frame.y(Double(p.total)), frame.top + frame.plotHeight - 3)
            let missing = p.missing.isEmpty ? "" : "; missing: " + p.missing.map(\.rawValue).joined(separator: ", ")
            bars.append(SVG.rect(x: frame.left + Double(s), y: y, width: Double(end - s), height: frame.top + frame.plotHeight - y)
                .cssClass("bar").fill(Page.colour(p.risk)).data("risk", p.risk.rawValue).data("score", String(p.total))
                .titled("NEWS2 \(p.total) (\(p.label)) at \(Timestamp(millisecondsSince1970: p.t))\(missing)"))
        }
        if let lastT = points.last?.t { lastColumnWithData = frame.column(lastT) }
        for c in 0..<frame.columns where c <= lastColumnWithData {
            if let p = worst[c] {
                if let cur = current, cur.total == p.total, cur.risk == p.risk { current = p; continue }
                flush(until: c)
                runStart = c
                current = p
            }
        }
        flush(until: lastColumnWithData + 1)
        layers.append(SVG.group(bars).cssClass("news2-bars").data("points", String(points.count)))
        for (score, label) in [(5, "medium"), (7, "high")] {
            let y = frame.y(Double(score))
            layers.append(SVG.line(x1: frame.left, y1: y, x2: frame.left + frame.plotWidth, y2: y).cssClass("threshold")
                .titled("aggregate \(score): \(label) clinical risk"))
        }
        var markers: [SVG] = []
        for a in alerts.sorted(by: { $0.t < $1.t }) {
            markers.append(VitalChart.marker(a, x: frame.x(a.t), y: frame.top + 6))
        }
        layers.append(SVG.group(markers).cssClass("alerts"))
        let svg = SVG.root(width: frame.width, height: frame.height, label: "NEWS2 aggregate over time", layers).data("kind", "news2")
        let legend: [Node<HTML.BodyContext>] = Alert.Level.allCases.map { level in
            .span(.span(.class("swatch"), Page.attr("style", "background:" + Page.colour(level))), Page.text(level.rawValue))
        }
        return .section(.class("chart"), Page.attr("data-kind", "news2"),
                        .h2(Page.text("NEWS2 aggregate (clinical risk)")),
                        .p(.class("note legend"), .group(legend),
                           Page.text("Scored as the gateway scores it, from parameters present and fresh (monitored ones 15 min, cuff BP 1 h, temperature and ACVPU 12 h, oxygen until changed, unless --rules says otherwise); a missing one is listed in the tooltip, never scored 0, and the aggregate is then partial. Consciousness and oxygen alerts are marked here.")),
                        Page.svg(svg))
    }
}
