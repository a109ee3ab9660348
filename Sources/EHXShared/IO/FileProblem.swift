#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one wording of a file error, in every tool: `PATH: cannot ACTION:
/// reason`, the reason being the system's (strerror) in lower case, as
/// "x.jsonl: cannot read: no such file or directory".
public enum FileProblem {
    public static func message(_ path: String, cannot action: String, errno code: Int32) -> String {
        message(path, cannot: action, reason(code))
    }

    public static func message(_ path: String, cannot action: String, _ reason: String) -> String {
        "\(path): cannot \(action): \(reason)"
    }

    /// strerror's text with its first letter lowered.
    public static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        let s = String(cString: text)
        guard let first = s.first else { return s }
        return first.lowercased() + s.dropFirst()
    }
}
