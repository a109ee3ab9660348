import EHXShared
import Foundation

extension ChainFixture {
    /// Copies the chain, applies `edit` to its lines, and verifies the copy.
    func verifyTampered(_ name: String = "tampered.jsonl", trailingNewline: Bool = true,
                        _ edit: (inout [[UInt8]]) throws -> Void) throws -> VerifyReport {
        var lines = try chainLines()
        try edit(&lines)
        let path = dir.path(name)
        var bytes: [UInt8] = lines.flatMap { $0 + [0x0a] }
        if !trailingNewline { bytes.removeLast() }
        try Files.write(path, bytes)
        return try verify(path)
    }

    /// Edits block line `index` (0-based: line index+1, height index) as JSON
    /// and writes it back in canonical form.
    static func editBlock(_ lines: inout [[UInt8]], _ index: Int, _ change: (JSONValue) throws -> JSONValue) throws {
        lines[index] = ChainLine.canonical(try change(try ChainLine.parse(lines[index])))
    }
}
