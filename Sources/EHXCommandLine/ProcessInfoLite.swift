#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Environment lookup for option defaults, without pulling Foundation into the tools.
public enum ProcessInfoLite {
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
