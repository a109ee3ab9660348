#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An instant with millisecond precision, written in exactly one form:
/// RFC 3339 UTC with three fractional digits ("2026-11-26T10:00:00.000Z").
/// A single spelling matters because records are hashed as text.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let millisecondsSince1970: Int64
    /// Bytes in the one spelling ("2026-11-26T10:00:00.000Z").
    public static let textLength = 24

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    public static func now() -> Timestamp { clock(CLOCK_REALTIME) }

    /// `now` to within a few milliseconds (the kernel's tick), for a check
    /// made once per reading against a window of minutes: it costs a load,
    /// not a read of the time-stamp counter.
    public static func coarseNow() -> Timestamp {
        #if os(Linux)
        clock(CLOCK_REALTIME_COARSE)
        #else
        clock(CLOCK_REALTIME)
        #endif
    }

    private static func clock(_ id: clockid_t) -> Timestamp {
        var now = timespec()
        clock_gettime(id, &now)
        return Timestamp(millisecondsSince1970: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
    }

    /// Whether `description` reads back as this time through
    /// `init(rfc3339:)`, which takes years 1970 to 9998 only.
    var readsBack: Bool { (0..<Self.year9999).contains(millisecondsSince1970) }
    private static let year9999 = Int64(daysFromCivil(year: 9999, month: 1, day: 1)) * 86_400_000

    public var unixSeconds: Int64 { millisecondsSince1970 >= 0 ? millisecondsSince1970 / 1000 : (millisecondsSince1970 - 999) / 1000 }

    /// Parses the strict form only; years 0000 and 9999 (and anything outside
    /// 1970...9998) are refused as implausible for a sensor clock.
    public init?(rfc3339 text: String) {
        var text = text
        guard let t = text.withUTF8({ Timestamp(rfc3339: $0) }) else { return nil }
        self = t
    }

    /// `init(rfc3339:)` on the text's UTF-8 bytes.
    public init?(rfc3339 b: UnsafeBufferPointer<UInt8>) {
        guard b.count == Self.textLength, b[4] == 0x2d, b[7] == 0x2d, b[10] == 0x54, b[13] == 0x3a,
              b[16] == 0x3a, b[19] == 0x2e, b[23] == 0x5a else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
              let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19),
              let milli = digits(20..<23) else { return nil }
        guard (1970...9998).contains(year), (1...12).contains(month),
              day >= 1, day <= Timestamp.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        millisecondsSince1970 = seconds * 1000 + Int64(milli)
    }

    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        appendRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The one spelling, appended to UTF-8 output.
    func appendRFC3339(to out: inout [UInt8]) {
        let seconds = unixSeconds
        let milli = Int(millisecondsSince1970 - seconds * 1000)
        var days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = Timestamp.civilFromDays(&days)
        if (0...9999).contains(year) {
            out.append(UInt8(truncatingIfNeeded: 0x30 + year / 1000))
            out.append(UInt8(truncatingIfNeeded: 0x30 + year / 100 % 10))
            out.append(UInt8(truncatingIfNeeded: 0x30 + year / 10 % 10))
            out.append(UInt8(truncatingIfNeeded: 0x30 + year % 10))
        } else {
            // Never parsed (see init), only built from a number: all its digits.
            out.append(contentsOf: String(year).utf8)
        }
        let start = out.count
        out.append(contentsOf: "-00-00T00:00:00.000Z".utf8)
        out.withUnsafeMutableBufferPointer { b in
            func put(_ n: Int, at offset: Int, width: Int) {
                var n = n
                for i in stride(from: start + offset + width - 1, through: start + offset, by: -1) {
                    b[i] = UInt8(truncatingIfNeeded: 0x30 + n % 10)
                    n /= 10
                }
            }
            put(month, at: 1, width: 2)
            put(day, at: 4, width: 2)
            put(secondOfDay / 3600, at: 7, width: 2)
            put(secondOfDay / 60 % 60, at: 10, width: 2)
            put(secondOfDay % 60, at: 13, width: 2)
            put(milli, at: 16, width: 3)
        }
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    /// Accepts the strict RFC 3339 form, or Unix seconds, for command-line options.
    public init?(argument: String) {
        if let t = Timestamp(rfc3339: argument) { self = t; return }
        if let seconds = Int64(argument), seconds >= 0, seconds < 253_402_300_800 {
            self.init(millisecondsSince1970: seconds * 1000)
            return
        }
        // Also accept a date-time without milliseconds, the form people type.
        if argument.utf8.count == 20, argument.hasSuffix("Z"),
           let t = Timestamp(rfc3339: String(argument.dropLast()) + ".000Z") {
            self = t
            return
        }
        return nil
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: inout Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
