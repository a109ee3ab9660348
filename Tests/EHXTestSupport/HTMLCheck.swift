import Foundation

/// A page parsed by scripts/html-check.py (Python's html.parser, strict
/// nesting): its elements in document order with their attributes and the
/// text of their own `<title>` child. Tests that need it are enabled only
/// when python3 is on PATH. Shared by the report and end-to-end tests.
public struct ParsedHTML {
    public struct Element {
        public let tag: String
        public let attrs: [String: String]
        public let title: String?
        public var classes: Set<String> { Set((attrs["class"] ?? "").split(separator: " ").map(String.init)) }
    }

    public let elements: [Element]

    public func all(_ tag: String? = nil, class cls: String? = nil, where attr: String? = nil, is value: String? = nil) -> [Element] {
        elements.filter { e in
            (tag == nil || e.tag == tag) && (cls == nil || e.classes.contains(cls!))
                && (attr == nil || (value == nil ? e.attrs[attr!] != nil : e.attrs[attr!] == value))
        }
    }
}

public struct HTMLCheckFailure: Error, CustomStringConvertible { public let description: String }

public enum HTMLCheck {
    public static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/html-check.py").path

    public static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/python3"
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            // A pyenv shim without a Python behind it is not a Python.
            guard let p = try? ChildProcess(executable: candidate, arguments: ["-c", "import html.parser"]) else { continue }
            if p.waitUntilExit() == .success { return candidate }
        }
        return nil
    }()

    public static var available: Bool { python != nil }

    /// Parses the page at `path`; throws with the parser's complaint when it is not well formed.
    public static func parse(file path: String) throws -> ParsedHTML {
        guard let python else { throw HTMLCheckFailure(description: "python3 not found") }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-html-\(UUID().uuidString).json")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-html-\(UUID().uuidString).err")
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        let p = try ChildProcess(executable: python, arguments: [script, path],
                                 output: .file(out.path), error: .file(err.path))
        guard p.waitUntilExit() == .success else {
            throw HTMLCheckFailure(description: "html-check: \(String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self))")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any]
        let list = json?["elements"] as? [[String: Any]] ?? []
        return ParsedHTML(elements: list.map {
            ParsedHTML.Element(tag: $0["tag"] as? String ?? "", attrs: $0["attrs"] as? [String: String] ?? [:], title: $0["title"] as? String)
        })
    }

    public static func parse(html: String) throws -> ParsedHTML {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-page-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(html.utf8).write(to: URL(fileURLWithPath: path))
        return try parse(file: path)
    }

    /// Nothing that runs or is fetched: no script, no remote URL, no
    /// external stylesheet, font or image.
    public static func selfContainedProblems(_ html: String) -> [String] {
        var problems: [String] = []
        let lower = html.lowercased()
        for needle in ["<script", "http://", "https://", "@import", "url(", "<link", "<img", "<iframe", "<object", "<embed", " src=", " href="]
            where lower.contains(needle) {
            problems.append("contains \(needle)")
        }
        return problems
    }

    /// The number of coordinate pairs in a `points` attribute.
    public static func pointCount(_ points: String?) -> Int {
        (points ?? "").split(separator: " ").count
    }
}
