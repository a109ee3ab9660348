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

    /// `-o /dev/null` as root once renamed a file over /dev/null. A device
    /// or the caller's own FIFO is written into and stays what it is; a
    /// FIFO someone else planted is refused.
    @Test func aFIFOOrDeviceIsWrittenIntoNeverReplaced() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = try SafeDirectory(path: root)
        #expect(mkfifo(root + "/pipe", 0o600) == 0)
        let reader = open(root + "/pipe", O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        try dir.replace("pipe", mode: 0o600, contents: Array("through".utf8))
        #expect(dir.status("pipe").map { $0.st_mode & S_IFMT == S_IFIFO } == true, "the FIFO was replaced by a file")
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = read(reader, &buffer, 16)
        #expect(n == 7 && Array(buffer[0..<7]) == Array("through".utf8))

        let dev = try SafeDirectory(path: "/dev", checkOwner: false)
        try dev.replace("null", mode: 0o600, contents: [1, 2, 3])
        #expect(dev.status("null").map { $0.st_mode & S_IFMT == S_IFCHR } == true)

        if geteuid() == 0 {
            #expect(mkfifo(root + "/planted", 0o666) == 0)
            #expect(chown(root + "/planted", 65534, 65534) == 0)
            #expect(throws: ToolError.self) { try dir.replace("planted", mode: 0o600, contents: [1]) }
        }
    }
}
