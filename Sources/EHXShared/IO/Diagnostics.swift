#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One-line messages on stderr, prefixed with the tool's name. Data never
/// goes here and diagnostics never go to stdout.
public struct Diagnostics: Sendable {
    public let tool: String
    public var quiet: Bool

    public init(tool: String, quiet: Bool = false) {
        self.tool = tool
        self.quiet = quiet
    }

    /// Errors are printed even with --quiet: exit statuses alone don't say which line.
    public func error(_ message: String) {
        emit("\(tool): \(message)")
    }

    public func warning(_ message: String) {
        guard !quiet else { return }
        emit("\(tool): warning: \(message)")
    }

    /// Progress and summaries; silenced by --quiet.
    public func note(_ message: String) {
        guard !quiet else { return }
        emit("\(tool): \(message)")
    }

    private func emit(_ line: String) {
        // One unbuffered write per message, so tools sharing a terminal in a
        // pipeline never interleave mid-line.
        let bytes = Array((Diagnostics.singleLine(line) + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Keeps a message on one inert line whatever the input put into it.
    static func singleLine(_ text: String) -> String {
        EchoedText.line(text)
    }
}
