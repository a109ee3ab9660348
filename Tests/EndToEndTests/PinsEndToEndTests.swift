import EHXShared
import Foundation
import Testing

/// Small verify and keygen behaviours of issue 15 item 8 and issue 21's
/// "genesis through the validator", through the real executables.
@Suite struct EndToEndPins {
    /// A file whose every line is unreadable holds no block: exit 65 (ehx.7),
    /// after each line's problem, not a verdict of "INVALID … 0 blocks".
    @Test func fileWithoutAReadableBlockIsExit65() throws {
        let dir = try Scratch("no-block")
        defer { dir.remove() }
        try Files.write(dir.path("bad.jsonl"), Array("garbage\n{\"x\":1}\n".utf8))
        let r = try Tool.run("ehx-verify", [dir.path("bad.jsonl")])
        #expect(r.status == 65, "\(r)")
        #expect(r.outLines.count == 2 && r.err.contains("no readable block"), "\(r)\n\(r.out)")
    }

    /// ehx-keygen runs its genesis block through the validator before
    /// writing it: options that make a genesis over its own block limit are
    /// refused (64) and no chain file is left, where it used to write a
    /// chain that could never verify.
    @Test func keygenRefusesAGenesisThatBreaksItsOwnRules() throws {
        let dir = try Scratch("genesis-check")
        defer { dir.remove() }
        let p = dir.path
        for role in ["authority", "gateway"] { try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", role, "-o", p(role)])) }
        let grants = (0..<12).flatMap { _ in ["--grant", "gateway=" + p("gateway.pub")] }
        let r = try Tool.run("ehx-keygen", ["genesis", "--authority", p("authority.key"), "--bits", "207fffff",
                                            "--max-block-bytes", "1024", "-o", p("chain.jsonl")] + grants)
        #expect(r.status == 64 && r.err.contains("block-size"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: p("chain.jsonl")))
        let ok = try Tool.run("ehx-keygen", ["genesis", "--authority", p("authority.key"), "--bits", "207fffff",
                                             "--max-block-bytes", "4096", "-o", p("chain.jsonl")] + grants)
        #expect(ok.status == 0, "\(ok)")
        #expect(try Tool.run("ehx-verify", ["--authority", p("authority.pub"), p("chain.jsonl")]).status == 0)
        #expect(try Tool.run("ehx-verify", ["--authority", p("gateway.pub"), p("chain.jsonl")]).status == 1)

        // A raw key whose base64url begins with "-" (first byte 0xf8..0xfb,
        // one key in 64) is the option's value, not another option: the
        // forger corpus drew one and got exit 64 ("missing value").
        let dashed = Base64URL.encode([0xf8] + Array(repeating: UInt8(7), count: 31))
        #expect(dashed.hasPrefix("-"))
        let pinned = try Tool.run("ehx-verify", ["--authority", dashed, p("chain.jsonl")])
        #expect(pinned.status == 1 && (pinned.out + pinned.err).contains("not the pinned authority"), "\(pinned)")
    }
}
