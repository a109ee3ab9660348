import EHXShared

/// A chart's geometry: time across, value up, with margins for the axes.
public struct Frame: Sendable {
    public let width: Double
    public let height: Double
    public let left: Double
    public let right: Double
    public let top: Double
    public let bottom: Double
    public let t0: Int64
    public let t1: Int64
    public let y0: Double
    public let y1: Double

    public init(width: Double = 960, height: Double, left: Double = 64, right: Double = 30, top: Double = 22, bottom: Double = 26,
                t0: Int64, t1: Int64, y0: Double, y1: Double) {
        self.width = width
        self.height = height
        self.left = left
        self.right = right
        self.top = top
        self.bottom = bottom
        self.t0 = t0
        self.t1 = t1 > t0 ? t1 : t0 + 1
        self.y0 = y0
        self.y1 = y1 > y0 ? y1 : y0 + 1
    }

    public var plotWidth: Double { width - left - right }
    public var plotHeight: Double { height - top - bottom }
    /// One bucket per pixel column.
    public var columns: Int { Int(plotWidth) }

    public func x(_ t: Int64) -> Double {
        left + Double(t - t0) / Double(t1 - t0) * plotWidth
    }

    /// The centre of pixel column `c`.
    public func x(column c: Int) -> Double { left + Double(c) + 0.5 }

    /// Values outside [y0, y1] are drawn at the edge.
    public func y(_ v: Double) -> Double {
        let clamped = min(y1, max(y0, v))
        return top + (1 - (clamped - y0) / (y1 - y0)) * plotHeight
    }

    public func column(_ t: Int64) -> Int { Downsample.column(t, t0: t0, t1: t1, columns: columns) }

    // MARK: Axes

    static let timeSteps: [Int64] = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
        .map { $0 * 1000 }

    /// The frame, grid lines, time labels (UTC) below and value labels left.
    public func axes(unit: String, integer: Bool = false, valueLabel: (Double) -> String = { JCS.serialize(number: ($0 * 1000).rounded() / 1000) }) -> SVG {
        var parts: [SVG] = []
        let span = t1 - t0
        let step: Int64 = Self.timeSteps.first(where: { span / $0 <= 8 }) ?? 604_800_000
        var t = (t0 / step + (t0 % step == 0 ? 0 : 1)) * step
        let withDate = span > 86_400_000 || Timestamp(millisecondsSince1970: t0).description.prefix(10)
            != Timestamp(millisecondsSince1970: t1).description.prefix(10)
        while t <= t1 {
            let x = self.x(t)
            parts.append(SVG.line(x1: x, y1: top, x2: x, y2: top + plotHeight).cssClass("grid"))
            parts.append(SVG.text(Self.timeLabel(t, withDate: withDate, seconds: step < 60_000), x: x, y: height - 8)
                .cssClass("tick").anchor("middle"))
            t += step
        }
        let ys = Self.niceTicks(y0, y1, integer: integer)
        for v in ys {
            let y = self.y(v)
            parts.append(SVG.line(x1: left, y1: y, x2: left + plotWidth, y2: y).cssClass("grid"))
            parts.append(SVG.text(valueLabel(v), x: left - 6, y: y + 4).cssClass("tick").anchor("end"))
        }
        parts.append(SVG.rect(x: left, y: top, width: plotWidth, height: plotHeight).cssClass("frame"))
        parts.append(SVG.text(unit, x: left, y: top - 8).cssClass("unit"))
        return SVG.group(parts).cssClass("axes")
    }

    /// "HH:MM" (UTC), "MM-DD HH:MM" when the chart spans more than a day.
    static func timeLabel(_ t: Int64, withDate: Bool, seconds: Bool) -> String {
        let s = Timestamp(millisecondsSince1970: t).description // 2026-11-26T10:00:00.000Z
        let chars = Array(s)
        guard chars.count >= 19 else { return s }
        let hm = String(chars[11..<(seconds ? 19 : 16)])
        return withDate ? String(chars[5..<10]) + " " + hm : hm
    }

    /// About five round values between a and b.
    static func niceTicks(_ a: Double, _ b: Double, integer: Bool = false) -> [Double] {
        let span = b - a
        guard span > 0, span.isFinite else { return [a] }
        var step = 1.0
        let raw = span / 5
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where magnitude * m >= raw {
            step = magnitude * m
            break
        }
        if integer { step = max(1, step.rounded(.up)) }
        var out: [Double] = []
        var v = (a / step).rounded(.up) * step
        while v <= b + step * 1e-9 {
            out.append((v / step).rounded() * step)
            v += step
        }
        return out
    }
}
