import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// ehx-sign --seal and ehx-verify --append start from the chain-state
/// snapshot (CHAIN.state) as ehx-mine does: --append saves it after each
/// pull, both notice a chain edited, cut or replaced behind its back, and a
/// pull killed at any moment leaves a snapshot that is whole.
@Suite struct EndToEndSnapshotStart {
    static func snapshot(_ chain: String) throws -> ChainSnapshot? {
        guard FileManager.default.fileExists(atPath: chain + ".state") else { return nil }
        return try ChainSnapshot.decode(try Files.bytes(chain + ".state"))
    }

    static func stamp(_ path: String) -> FileStamp? {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        return FileStamp(fd: fd)
    }

    /// Changes one character of the first signature in line `index` where
    /// it is: same inode, same length, the last line untouched.
    static func editSignature(_ path: String, line index: Int) throws -> (offset: Int, original: UInt8) {
        let lines = try Files.lines(path)
        let before = lines[..<index].reduce(0) { $0 + $1.count + 1 }
        let text = String(decoding: lines[index], as: UTF8.self)
        let at = try #require(text.range(of: "\"sig\":\""))
        let offset = before + text.utf8.distance(from: text.utf8.startIndex, to: at.upperBound)
        let original = lines[index][offset - before]
        try patch(path, at: offset, original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A"))
        return (offset, original)
    }

    static func patch(_ path: String, at offset: Int, _ byte: UInt8) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte]))
        try handle.close()
    }

    @Test func appendKeepsTheSnapshotAndNoticesAnEditedChain() throws {
        let f = try CronFixture.make("snapshot-append")
        defer { f.dir.remove() }
        _ = try f.sign(device: "bed1", seqs: 1...4)
        try ChainFixture.check(f.mine(["--max-txs", "2"]))
        let peer = f.dir.path("peer.jsonl")
        try Files.write(peer, try Files.bytes(f.chain))
        _ = try f.sign(device: "bed1", seqs: 5...6)
        try ChainFixture.check(f.mine())
        let pull = "ehx-query --chain '\(f.chain)' blocks --since \(f.genesisHash) | ehx-verify --genesis \(f.genesisHash) --append '\(peer)' -"

        // The pull saves the peer's snapshot: its tip, the whole file, the file's stamp.
        let first = try Tool.shell(pull)
        #expect(first.status == 0 && first.err.contains("appended 1 block"), "\(first)")
        let saved = try #require(try Self.snapshot(peer), "--append saves the snapshot")
        let size = Int64(try Files.bytes(peer).count)
        #expect(saved.state.height == 3 && saved.binding.chainBytes == size)
        #expect(saved.binding.stamp == Self.stamp(peer), "bound to the file as this pull left it")
        #expect(saved.blockTimes.count == 4 && saved.blockRequiredBits.count == 4)
        // Pulled again: the blocks are known, nothing is appended, nothing said of the snapshot.
        let again = try Tool.shell(pull)
        #expect(again.status == 0 && !again.err.contains("not used") && again.err.contains("appended 0 blocks"), "\(again)")
        #expect(try Files.bytes(peer) == (try Files.bytes(f.chain)))

        // An old block edited in place: noticed even with -q, the chain
        // audited in full, nothing appended.
        let good = try Files.bytes(peer)
        let edit = try Self.editSignature(peer, line: 1)
        let edited = try Files.bytes(peer)
        let refused = try Tool.shell(pull.replacingOccurrences(of: "ehx-verify", with: "ehx-verify -q"))
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.err.contains("not used") && refused.err.contains("behind its back"), "\(refused.err)")
        #expect(refused.out.contains(":2: block 1"), "the full report names the edited block: \(refused.out)")
        #expect(try Files.bytes(peer) == edited, "nothing appended to an edited chain")

        // Put back: the lines hash as the snapshot says, so it is used again.
        try Self.patch(peer, at: edit.offset, edit.original)
        let restored = try Tool.shell(pull)
        #expect(restored.status == 0 && !restored.err.contains("not used") && restored.err.contains("appended 0 blocks"), "\(restored)")

        // Cut by one block: said, rebuilt, and the block pulled again.
        try Files.writeLines(peer, Array(try Files.lines(peer).prefix(3)))
        let cut = try Tool.shell(pull)
        #expect(cut.status == 0 && cut.err.contains("shorter") && cut.err.contains("appended 1 block"), "\(cut)")
        #expect(try Files.bytes(peer) == good)

        // Replaced by another chain of the same length and last line cannot
        // be made; replaced by a different genesis: rebuilt and held to the pin.
        let other = try CronFixture.make("snapshot-append-other")
        defer { other.dir.remove() }
        try Files.write(peer, try Files.bytes(other.chain))
        let replaced = try Tool.shell(pull)
        #expect(replaced.status == 1 && replaced.err.contains("not used"), "\(replaced)")
        #expect(replaced.out.contains("pin"), "\(replaced.out)")
    }

    @Test func sealStartsFromTheSnapshotAndNoticesAnEditedChain() throws {
        let dir = try Scratch("snapshot-seal")
        defer { dir.remove() }
        let f = try PrivacyFixture.make(in: dir, sampleLines: 20)
        let one = dir.path("one.jsonl")
        try Files.writeLines(one, [try Files.lines(f.base.accepted)[0]])
        let args = EndToEndSealingAttacks.sealArguments(f) + [one]

        let start = try Tool.run("ehx-sign", args)
        #expect(start.status == 0 && !start.err.contains("not used"), "\(start)")
        let chainBytes = Int64(try Files.bytes(f.chain).count)
        #expect(try Self.snapshot(f.chain)?.binding.chainBytes == chainBytes)

        // An old block edited in place: noticed, rebuilt, refused; nothing sealed.
        let edit = try Self.editSignature(f.chain, line: 1)
        let refused = try Tool.run("ehx-sign", args + ["-q"])
        #expect(refused.status == 65 && refused.stdout.isEmpty, "\(refused)")
        #expect(refused.err.contains("not used") && refused.err.contains("behind its back") && refused.err.contains("refusing to seal"), "\(refused.err)")
        try Self.patch(f.chain, at: edit.offset, edit.original)
        let again = try Tool.run("ehx-sign", args)
        #expect(again.status == 0 && !again.err.contains("not used"), "\(again)")

        // Cut: said, and sealing goes on under the shorter chain's policy.
        let lines = try Files.lines(f.chain)
        try Files.writeLines(f.chain, Array(lines.prefix(lines.count - 1)))
        let cut = try Tool.run("ehx-sign", args)
        #expect(cut.status == 0 && cut.err.contains("shorter"), "\(cut)")

        // Replaced by a chain of another genesis: refused by the pin, snapshot or not.
        let other = try CronFixture.make("snapshot-seal-other")
        defer { other.dir.remove() }
        try Files.write(f.chain, try Files.bytes(other.chain))
        let replaced = try Tool.run("ehx-sign", args)
        #expect(replaced.status == 65 && replaced.stdout.isEmpty && replaced.err.contains("pinned"), "\(replaced)")
    }

    /// kill -9 at random moments of pulls that end by saving the snapshot:
    /// what is left at PEER.state is whole and covers a prefix of the peer,
    /// and the next pull uses it (no rebuild) and catches up.
    @Test func aPullKilledAtAnyMomentLeavesAWholeSnapshot() throws {
        let f = try CronFixture.make("snapshot-append-kill")
        defer { f.dir.remove() }
        let peer = f.dir.path("peer.jsonl")
        try Files.write(peer, try Files.bytes(f.chain))
        var generator = SystemRandomNumberGenerator()
        var seq = 1
        for _ in 0..<12 {
            _ = try f.sign(device: "bed1", seqs: seq...(seq + 1))
            seq += 2
            try ChainFixture.check(f.mine())
            let running = try Tool.start("ehx-verify", ["-q", "--wait", "--append", peer, f.chain])
            usleep(UInt32.random(in: 0...60_000, using: &generator))
            running.kill(SIGKILL)
            _ = running.wait()
            if let snapshot = try Self.snapshot(peer) {
                let size = Int64(try Files.bytes(peer).count)
                #expect(snapshot.binding.chainBytes <= size, "a snapshot of the peer or a prefix of it")
            }
        }
        let last = try Tool.run("ehx-verify", ["--append", peer, f.chain])
        #expect(last.status == 0 && !last.err.contains("not used"), "\(last)")
        let source = try Files.bytes(f.chain)
        #expect(try Files.bytes(peer) == source)
        let peerBytes = Int64(try Files.bytes(peer).count)
        #expect(try Self.snapshot(peer)?.binding.chainBytes == peerBytes)
    }
}
