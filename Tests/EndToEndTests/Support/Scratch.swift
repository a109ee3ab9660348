import Foundation

/// A fresh directory under the system temp dir for one test. Call
/// `remove()` in a `defer` right after making it.
struct Scratch {
    let url: URL

    init(_ label: String = "test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ehx-e2e-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Small file helpers: JSON-lines files as lists of byte lines.
enum Files {
    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func write(_ path: String, _ data: Data) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// The file's lines without their "\n" (a last line without one is kept).
    static func lines(_ path: String) throws -> [[UInt8]] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        var lines = try bytes(path).split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
        if lines.last == [] { lines.removeLast() }
        return lines
    }

    static func textLines(_ path: String) throws -> [String] {
        try lines(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes lines, each followed by "\n".
    static func writeLines(_ path: String, _ lines: [[UInt8]]) throws {
        try write(path, lines.flatMap { $0 + [0x0a] })
    }

    static func lineCount(_ path: String) throws -> Int { try lines(path).count }

    /// Each line parsed with Foundation (independent of the JSON code under test).
    static func jsonObjects(_ path: String) throws -> [[String: Any]] {
        try lines(path).map { try JSONLine.object(Data($0)) }
    }

    static func append(_ path: String, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    static func chmod(_ path: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Foundation JSON for reading tool output, so assertions do not rely on
/// the parser under test.
enum JSONLine {
    static func object(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        return object
    }

    static func object(_ text: String) throws -> [String: Any] { try object(Data(text.utf8)) }
}
