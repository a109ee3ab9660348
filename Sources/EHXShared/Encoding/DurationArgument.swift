/// Durations on the command line and in rules files: a number of seconds
/// with an optional unit, "90", "90s", "15m", "2h", "7d".
public enum DurationArgument {
    /// Milliseconds, or nil when the text is not a non-negative duration.
    public static func milliseconds(_ text: String) -> Int64? {
        guard let last = text.last else { return nil }
        var number = Substring(text)
        var scale: Double = 1000
        switch last {
        case "s": number = number.dropLast()
        case "m": number = number.dropLast(); scale = 60_000
        case "h": number = number.dropLast(); scale = 3_600_000
        case "d": number = number.dropLast(); scale = 86_400_000
        default: break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite, value >= 0, value * scale < 1e15 else { return nil }
        return Int64((value * scale).rounded())
    }

    public static func describe(_ ms: Int64) -> String {
        if ms % 86_400_000 == 0 && ms > 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0 && ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 && ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(Double(ms) / 1000)s"
    }
}
