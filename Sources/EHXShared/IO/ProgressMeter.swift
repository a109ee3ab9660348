#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of a long run on stderr, as git and rsync show it: blocks and
/// transactions done, the rate and, when the input's size is known, the
/// share done and an ETA, redrawn in place at most five times a second and
/// ended by one line with "done". Only when stderr is a terminal and the
/// run is not quiet: a log or a pipe never sees it.
public final class ProgressMeter {
    private let tool: String
    private let prefix: String
    public let enabled: Bool
    private let started = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    /// `enabled` nil: decided by whether stderr is a terminal.
    public init(tool: String, doing: String, quiet: Bool, enabled: Bool? = nil) {
        self.tool = tool
        prefix = "\(tool): \(doing): "
        self.enabled = !quiet && (enabled ?? (isatty(STDERR_FILENO) == 1))
    }

    /// A meter for another step of the same run, shown the same way.
    public func step(_ doing: String) -> ProgressMeter {
        ProgressMeter(tool: tool, doing: doing, quiet: false, enabled: enabled)
    }

    /// The size of a regular file (the total of a run over it), else nil.
    public static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Redraws when the last drawing is over 0.2 s old.
    public func update(blocks: Int64, transactions: Int? = nil, bytes: Int64, totalBytes: Int64?) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(200) { return }
        if lastDraw == nil {
            // Nothing in the first 0.2 s: short runs stay quiet until done.
            lastDraw = now
            return
        }
        lastDraw = now
        draw(line(blocks: blocks, transactions: transactions, bytes: bytes, totalBytes: totalBytes, done: false), end: "\r")
        drawn = true
    }

    /// The last line, with "done" and a newline.
    public func finish(blocks: Int64, transactions: Int? = nil, bytes: Int64, totalBytes: Int64?) {
        guard enabled else { return }
        draw(line(blocks: blocks, transactions: transactions, bytes: bytes, totalBytes: totalBytes, done: true), end: "\n")
    }

    /// Wipes a partial line before another message is printed.
    public func clear() {
        guard enabled, drawn else { return }
        draw("", end: "\r")
        drawn = false
    }

    /// `transactions` nil: a step that reads lines without parsing them,
    /// whose rate is in bytes.
    private func line(blocks: Int64, transactions: Int?, bytes: Int64, totalBytes: Int64?, done: Bool) -> String {
        let seconds = max(1e-3, (ContinuousClock.now - started) / .seconds(1))
        var parts = ["\(blocks) block\(blocks == 1 ? "" : "s")"]
        if let transactions { parts.append("\(transactions) transaction\(transactions == 1 ? "" : "s")") }
        if let totalBytes, totalBytes > 0, !done {
            let share = min(1, Double(bytes) / Double(totalBytes))
            parts.append("\(Int(share * 100))% of \(Self.megabytes(totalBytes))")
            if share > 0.001 {
                parts.append("ETA \(Self.clock(seconds * (1 - share) / share))")
            }
        }
        if let transactions {
            parts.append("\(Int(Double(transactions) / seconds)) tx/s")
        } else {
            parts.append("\(Self.megabytes(Int64(Double(bytes) / seconds)))/s")
        }
        if done { parts.append("\(Self.clock(seconds)), done.") }
        return prefix + parts.joined(separator: ", ")
    }

    private func draw(_ text: String, end: String) {
        // Carriage return, the text, erase to the end of the line.
        let bytes = Array(("\r" + text + "\u{1b}[K" + end).utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func megabytes(_ bytes: Int64) -> String {
        bytes >= 10 << 20 ? "\(bytes >> 20) MB" : "\(Double(bytes * 10 >> 20) / 10) MB"
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600):\(pad(s / 60 % 60)):\(pad(s % 60))" : "\(s / 60):\(pad(s % 60))"
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
