@testable import EHXShared
import Foundation
import Testing

/// Every way a planted link or a second hard link could aim a write
/// elsewhere is refused, and the target is never touched.
@Suite struct SafeDirectoryTests {
    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-safedir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func linksAndHardLinksAreNeverWrittenThrough() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let victim = root + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: victim)
        try FileManager.default.createSymbolicLink(atPath: root + "/dirlink", withDestinationPath: root)
        try FileManager.default.linkItem(atPath: victim, toPath: root + "/hard")
        let dir = try SafeDirectory(path: root)
        #expect(throws: ToolError.self) { try dir.createFile("link", mode: 0o600, contents: [1]) }
        #expect(throws: ToolError.self) { _ = try dir.openForAppend("link", mode: 0o600) }
        #expect(throws: ToolError.self) { _ = try dir.openForAppend("hard", mode: 0o600) }
        #expect(throws: ToolError.self) { _ = try dir.openLockFile("link") }
        #expect(throws: ToolError.self) { _ = try dir.subdirectory("dirlink", create: false) }
        #expect(try dir.openRegularForReading("link") == nil)
        // An atomic replace replaces the link itself.
        try dir.replace("link", mode: 0o600, contents: Array("new".utf8))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(try String(contentsOfFile: root + "/link", encoding: .utf8) == "new")
        #expect(try FileManager.default.attributesOfItem(atPath: root + "/link")[.type] as? FileAttributeType == .typeRegular)
    }

    @Test func createdFilesHaveExactlyTheirMode() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = try SafeDirectory(path: root)
        let old = umask(0)
        defer { umask(old) }
        try dir.createFile("a", mode: 0o600, contents: [1])
        try dir.replace("b", mode: 0o600, contents: [2])
        for name in ["a", "b"] {
            #expect((try FileManager.default.attributesOfItem(atPath: root + "/" + name)[.posixPermissions] as? Int) == 0o600)
        }
    }
}
