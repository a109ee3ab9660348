import Foundation

/// Locates `../shared/` (read-only reference data beside the project). Tests
/// that need a file there call `SharedFiles.data(...)` and skip when it is
/// missing, so the suite still passes on a machine without it.
enum SharedFiles {
    static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["EHX_SHARED_DIR"] {
            return URL(fileURLWithPath: override)
        }
        // Tests/EHXSharedTests/Support/SharedFiles.swift → package root → ../shared
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared")
    }()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: url(relative).path)
    }

    /// The file's bytes, or nil when it is not there (the caller skips).
    static func data(_ relative: String) -> Data? {
        try? Data(contentsOf: url(relative))
    }

    /// Parsed JSON through Foundation: tests use an independent parser so they
    /// do not trust the code under test to read its own vectors.
    static func json(_ relative: String) -> Any? {
        guard let data = data(relative) else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }
}
