import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import EHXShared

/// The chain-state snapshot: every field survives it, it is used only while
/// the chain still holds its last block where it was, and a damaged or
/// half-written one is never trusted.
@Suite struct LocalChainTests {
    /// A chain with what the state records: grants with encryption keys, a
    /// policy, readings of two devices, a revocation.
    static func richChain() throws -> TestChain {
        // Rules 2, so the device bindings, seqs by bytes (NFC and NFD) and
        // reading keys are in the state the snapshot must keep.
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1", "bed2", "bed-\u{e9}", "bed-e\u{301}"])
        chain.clock = 1_795_687_200 // the readings' time: rules 2 bounds a reading's ts by its block's
        let reader = try Ed25519.PrivateKey()
        let enc = try X25519.PrivateKey()
        let grant: JSONValue = ["action": "grant", "role": "clinician", "key": .string(Base64URL.encode(reader.publicKey.rawRepresentation)),
                                "enc": .string(Base64URL.encode(enc.publicKey.rawRepresentation))]
        let policy: JSONValue = ["read": ["clinician": ["*"]], "view": ["clinician": "full"],
                                 "emergency": .string(Base64URL.encode(enc.publicKey.rawRepresentation))]
        _ = try chain.append([try chain.signed(grant, type: .key, by: chain.authority), try chain.signed(chain.reading(seq: 1))])
        _ = try chain.append([try chain.signed(policy, type: .policy, by: chain.authority), try chain.signed(chain.reading(device: "bed2", seq: 7))])
        let revoke: JSONValue = ["action": "revoke", "role": "clinician", "key": .string(Base64URL.encode(reader.publicKey.rawRepresentation))]
        _ = try chain.append([try chain.signed(revoke, type: .key, by: chain.authority), try chain.signed(chain.reading(seq: 2))])
        _ = try chain.append([try chain.signed(chain.reading(seq: 3)), try chain.signed(chain.reading(device: "bed-\u{e9}", seq: 4)),
                              try chain.signed(chain.reading(device: "bed-e\u{301}", seq: 2))])
        #expect(chain.validate().isEmpty)
        return chain
    }

    static func replayed(_ chain: TestChain) -> ChainValidator {
        var validator = ChainValidator(now: chain.clock)
        for block in chain.blocks { _ = validator.add(block, lineBytes: block.canonicalLine.count) }
        return validator
    }

    /// Every stored field, found by reflection, so a field added to
    /// ChainState and forgotten by the snapshot fails here.
    static func fields(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .set?, .dictionary?:
            return "{" + mirror.children.map { fields($0.value) }.sorted().joined(separator: ",") + "}"
        case .collection?:
            return "[" + mirror.children.map { fields($0.value) }.joined(separator: ",") + "]"
        case .struct?, .class?, .enum?, .tuple?, .optional?:
            if mirror.children.isEmpty { return String(describing: value) }
            return "\(mirror.subjectType)(" + mirror.children.map { "\($0.label ?? ""):\(fields($0.value))" }.joined(separator: ",") + ")"
        default:
            return String(describing: value)
        }
    }

    @Test func everyFieldOfTheStateSurvivesTheSnapshot() throws {
        let chain = try Self.richChain()
        let state = Self.replayed(chain).state
        let binding = ChainSnapshot.Binding(chainBytes: 100, lastLineBytes: 10, lastLineHash: SHA256.hash([1, 2, 3]),
                                            stamp: FileStamp(device: UInt64.max, inode: 1 << 60, changeSeconds: 1_795_000_000, changeNanoseconds: 999_999_999),
                                            linesDigest: SHA256.hash([4]))
        let snapshot = ChainSnapshot(state: state, binding: binding, blockHashes: chain.blocks.map(\.header.hash),
                                     blockBits: chain.blocks.map(\.header.bits), blockTimes: chain.blocks.map(\.header.time),
                                     blockRequiredBits: chain.blocks.map { $0.header.bits ^ 1 })
        let restored = try ChainSnapshot.decode(try snapshot.encoded())
        let mirror = Mirror(reflecting: state)
        #expect(mirror.children.count >= 20, "reflection sees the stored fields")
        for (original, copy) in zip(mirror.children, Mirror(reflecting: restored.state).children) {
            #expect(Self.fields(original.value) == Self.fields(copy.value), "field \(original.label ?? "?")")
        }
        #expect(restored.binding == binding)
        #expect(restored.blockHashes == snapshot.blockHashes && restored.blockBits == snapshot.blockBits)
        #expect(restored.blockTimes == snapshot.blockTimes && restored.blockRequiredBits == snapshot.blockRequiredBits)
        #expect(restored.state.readPolicy != nil && restored.state.contains(chain.blocks[4].txs[1]))
    }

    @Test func erasedBlobsSurviveTheSnapshot() throws {
        var chain = try Self.richChain()
        let erasure = ErasureRecord(blobs: [SHA256.hash([1]), SHA256.hash([2])], request: "letter 12", reason: "GDPR Art. 17")
        _ = try chain.append([try chain.signed(erasure.json, type: .erasure, by: chain.authority)])
        // Only an authority's erasure counts.
        _ = try chain.append([try chain.signed(ErasureRecord(blobs: [SHA256.hash([3])], request: "r", reason: "x").json, type: .erasure)])
        let state = Self.replayed(chain).state
        #expect(state.erasures.count == 2 && state.erasures[SHA256.hash([1])] == chain.blocks[5].txs[1].txid)
        let snapshot = ChainSnapshot(state: state, binding: .init(chainBytes: 1, lastLineBytes: 1, lastLineHash: .zero),
                                     blockHashes: chain.blocks.map(\.header.hash), blockBits: chain.blocks.map(\.header.bits),
                                     blockTimes: chain.blocks.map(\.header.time), blockRequiredBits: chain.blocks.map(\.header.bits))
        let restored = try ChainSnapshot.decode(try snapshot.encoded())
        #expect(restored.state.erasures == state.erasures)
        #expect(Self.fields(restored.state) == Self.fields(state))
    }

    @Test func aDamagedSnapshotIsRefused() throws {
        let chain = try Self.richChain()
        let state = Self.replayed(chain).state
        let snapshot = ChainSnapshot(state: state, binding: .init(chainBytes: 1, lastLineBytes: 1, lastLineHash: .zero),
                                     blockHashes: chain.blocks.map(\.header.hash), blockBits: chain.blocks.map(\.header.bits),
                                     blockTimes: chain.blocks.map(\.header.time), blockRequiredBits: chain.blocks.map(\.header.bits))
        var bytes = try snapshot.encoded()
        for at in [0, bytes.count / 2, bytes.count - 1] {
            var damaged = bytes
            damaged[at] ^= 0x20
            #expect(throws: ChainSnapshotError.self) { try ChainSnapshot.decode(damaged) }
        }
        bytes.removeLast(40)
        #expect(throws: ChainSnapshotError.self) { try ChainSnapshot.decode(bytes) }
    }

    /// A chain file and its snapshot in a fresh directory.
    struct OnDisk {
        let dir: String
        var path: String { dir + "/chain.jsonl" }
        var snapshot: String { path + ".state" }
        let diagnostics = Diagnostics(tool: "test", quiet: true)

        init(_ chain: TestChain) throws {
            dir = NSTemporaryDirectory() + "ehx-localchain-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try write(chain.blocks)
        }

        func write(_ blocks: [Block]) throws {
            try Data(blocks.flatMap(\.canonicalLine)).write(to: URL(fileURLWithPath: path))
        }

        func open() throws -> LocalChain {
            try LocalChain.open(chain: path, now: 1_795_800_000, threads: 2, diagnostics: diagnostics)
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test func theSnapshotIsUsedAndExtendedWhileTheChainHoldsItsTip() throws {
        var chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        var first = try disk.open()
        #expect(first.rebuildReason == "no snapshot" && first.replayedBlocks == 5)
        try first.save()
        let second = try disk.open()
        #expect(second.rebuildReason == nil && second.replayedBlocks == 0, "a current snapshot: nothing read")
        #expect(LocalChainTests.fields(second.state) == LocalChainTests.fields(first.state))
        // Blocks appended behind it are read and checked; nothing else is.
        _ = try chain.append([try chain.signed(chain.reading(seq: 4))])
        _ = try chain.append([try chain.signed(chain.reading(seq: 5))])
        try disk.write(chain.blocks)
        var third = try disk.open()
        #expect(third.rebuildReason == nil && third.replayedBlocks == 2)
        #expect(third.state.tip == chain.blocks[6].header.hash)
        #expect(LocalChainTests.fields(third.state) == LocalChainTests.fields(Self.replayed(chain).state))
        try third.save()
        #expect(try disk.open().replayedBlocks == 0)
    }

    /// `ehx-query tip` needs every block's work; the blocks a current
    /// snapshot covers are not read again, and the answer is the walk's.
    @Test func theTipsWorkComesFromACurrentSnapshot() throws {
        var chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        let walked = try ChainReader.tip(path: disk.path)
        #expect(walked.linesRead == 5 && walked.frame.claimedHash == chain.blocks[4].header.hash)
        var local = try disk.open()
        try local.save()
        let fromSnapshot = try ChainReader.tip(path: disk.path)
        #expect(fromSnapshot.linesRead == 1, "only the tip's line, for its time and count")
        #expect(fromSnapshot.work == walked.work && fromSnapshot.frame.claimedHash == walked.frame.claimedHash)
        #expect(fromSnapshot.frame.txCount == walked.frame.txCount && fromSnapshot.frame.header.time == walked.frame.header.time)

        // Written since: the snapshot would need the lines hashed again, so they are walked.
        _ = try chain.append([try chain.signed(chain.reading(seq: 4))])
        try disk.write(chain.blocks)
        let changed = try ChainReader.tip(path: disk.path)
        #expect(changed.linesRead == 6 && changed.frame.claimedHash == chain.blocks[5].header.hash)
        var again = try disk.open()
        try again.save()
        let current = try ChainReader.tip(path: disk.path)
        #expect(current.linesRead == 1 && current.work == changed.work && current.frame.claimedHash == changed.frame.claimedHash)

        // A snapshot another account could have written (a forger's, with
        // any work in it) is not taken: the lines are walked for their work.
        #expect(chmod(disk.snapshot, 0o666) == 0)
        #expect(try LocalChain.coveredPrefix(chain: disk.path) == nil)
        let foreign = try ChainReader.tip(path: disk.path)
        #expect(foreign.linesRead == 6 && foreign.work == changed.work)
        #expect(chmod(disk.snapshot, 0o600) == 0)

        // A torn last line behind a snapshot saved with it there: refused as the walk refuses it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: disk.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"hash\":".utf8))
        try handle.close()
        var torn = try disk.open()
        try torn.save()
        #expect(try LocalChain.coveredPrefix(chain: disk.path) != nil)
        #expect { try ChainReader.tip(path: disk.path) } throws: { error in
            (error as? ToolError)?.description.contains("chain.jsonl:7: truncated") == true
        }
    }

    @Test func aChainChangedBehindTheSnapshotIsDetectedAndNotTrusted() throws {
        let chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        var local = try disk.open()
        try local.save()
        let saved = try Data(contentsOf: URL(fileURLWithPath: disk.snapshot))

        // Cut: the last block dropped.
        try disk.write(Array(chain.blocks.dropLast()))
        let cut = try disk.open()
        #expect(cut.rebuildReason?.contains("shorter") == true, "\(cut.rebuildReason ?? "used")")
        #expect(cut.state.height == 3)

        // Forked: another block 4 of the same length or longer.
        try Data(saved).write(to: URL(fileURLWithPath: disk.snapshot))
        var other = chain
        other.blocks.removeLast()
        other.clock += 5
        _ = try other.append([try other.signed(other.reading(seq: 3, value: 99))])
        _ = try other.append([try other.signed(other.reading(seq: 4))])
        try disk.write(other.blocks)
        let forked = try disk.open()
        #expect(forked.rebuildReason?.contains("no longer holds its block 4") == true, "\(forked.rebuildReason ?? "used")")
        #expect(forked.state.tip == other.blocks[5].header.hash)

        // Edited in place: one byte of the last block's reading, same length.
        // The rebuild reads the edited block and refuses it.
        try Data(saved).write(to: URL(fileURLWithPath: disk.snapshot))
        var bytes = chain.blocks.flatMap(\.canonicalLine)
        let text = String(decoding: bytes, as: UTF8.self)
        let at = try #require(text.range(of: "\"value\":72", options: .backwards))
        let offset = text.utf8.distance(from: text.utf8.startIndex, to: at.upperBound) - 1
        bytes[offset] = UInt8(ascii: "3")
        try Data(bytes).write(to: URL(fileURLWithPath: disk.path))
        #expect(throws: ToolError.self) { try disk.open() }

        // The snapshot's own damage: rebuilt from the chain, which is fine.
        try disk.write(chain.blocks)
        var damaged = saved
        damaged[damaged.count / 2] ^= 1
        try damaged.write(to: URL(fileURLWithPath: disk.snapshot))
        let rebuilt = try disk.open()
        #expect(rebuilt.rebuildReason?.contains("checksum") == true, "\(rebuilt.rebuildReason ?? "used")")
        #expect(rebuilt.replayedBlocks == 5)
        _ = chain
    }

    @Test func aWriteKilledBeforeItsRenameLeavesTheOldSnapshot() throws {
        var chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        var local = try disk.open()
        try local.save()
        // What a kill between writing the temporary file and renaming it
        // leaves: the old snapshot and a partial temporary beside it.
        let partial = Array(try Data(contentsOf: URL(fileURLWithPath: disk.snapshot)).prefix(100))
        try Data(partial).write(to: URL(fileURLWithPath: disk.dir + "/.chain.jsonl.state.tmp-0123456789abcdef"))
        _ = try chain.append([try chain.signed(chain.reading(seq: 4))])
        try disk.write(chain.blocks)
        let next = try disk.open()
        #expect(next.rebuildReason == nil && next.replayedBlocks == 1, "the old snapshot, extended by the new block")
    }

    /// Overwrites bytes of a file where they are (same inode, same length),
    /// as an editor behind the snapshot's back would.
    static func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    /// The offset of a signature's first character in block `height`'s line.
    static func signatureOffset(_ chain: TestChain, block height: Int) throws -> Int {
        let before = chain.blocks[..<height].reduce(0) { $0 + $1.canonicalLine.count }
        let line = String(decoding: chain.blocks[height].canonicalLine, as: UTF8.self)
        let at = try #require(line.range(of: "\"sig\":\""))
        return before + line.utf8.distance(from: line.utf8.startIndex, to: at.upperBound)
    }

    /// An old block changed in place, same length, the last line untouched:
    /// the file's stamp moved, its lines no longer hash to the snapshot's
    /// digest, and the rebuild meets the broken signature. Put back, the
    /// lines hash as before and the snapshot is used again, nothing replayed.
    @Test func anOldBlockEditedInPlaceIsDetected() throws {
        let chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        var local = try disk.open()
        try local.save()
        let at = try Self.signatureOffset(chain, block: 1)
        let original = Array(chain.blocks.flatMap(\.canonicalLine)[at..<(at + 1)])
        try Self.patch(disk.path, at: at, [original[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")])
        #expect(throws: ToolError.self) { try disk.open() }
        try Self.patch(disk.path, at: at, original)
        let again = try disk.open()
        #expect(again.rebuildReason == nil && again.replayedBlocks == 0, "\(again.rebuildReason ?? "used")")
    }

    /// A copy put in place (a restore: another inode, the same bytes) is
    /// used once its lines hash to the digest; the saved snapshot then
    /// names the copy, so the run after it reads nothing at all.
    @Test func aRestoredCopyIsUsedAfterItsLinesHashAgain() throws {
        let chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        var local = try disk.open()
        try local.save()
        let copy = disk.dir + "/copy"
        try Data(chain.blocks.flatMap(\.canonicalLine)).write(to: URL(fileURLWithPath: copy))
        #expect(rename(copy, disk.path) == 0)
        var restored = try disk.open()
        #expect(restored.rebuildReason == nil && restored.replayedBlocks == 0)
        try restored.save()
        let saved = try ChainSnapshot.decode(try [UInt8](Data(contentsOf: URL(fileURLWithPath: disk.snapshot))))
        let fd = Glibc.open(disk.path, O_RDONLY)
        defer { close(fd) }
        #expect(saved.binding.stamp == FileStamp(fd: fd), "the snapshot now names the file in place")
    }

    /// Whoever else could write the snapshot could choose the state (roles,
    /// sealing recipients): one writable by group or others is not used.
    @Test func aSnapshotOthersCouldWriteIsNotUsed() throws {
        let chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        var local = try disk.open()
        try local.save()
        #expect(chmod(disk.snapshot, 0o666) == 0)
        let reopened = try disk.open()
        #expect(reopened.rebuildReason?.contains("writable by group or others") == true, "\(reopened.rebuildReason ?? "used")")
        #expect(reopened.replayedBlocks == 5)
    }

    /// A snapshot that claims another genesis than the file's first line
    /// (forged, or left from another chain whose tail matched) cannot stand
    /// in for the pin: the pins are held to the genesis line itself.
    @Test func aSnapshotCannotStandInForThePinnedGenesis() throws {
        let chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        var local = try disk.open()
        try local.save()
        let real = chain.blocks[0].header.hash
        #expect(try local.pinProblems(ChainPins(genesis: real)).isEmpty)
        #expect(try local.pinProblems(ChainPins(checkpoints: [2: chain.blocks[2].header.hash])).isEmpty)
        #expect(try local.pinProblems(ChainPins(checkpoints: [2: real])).count == 1, "a checkpoint below the tip is held to the state")

        var forged = try ChainSnapshot.decode(try [UInt8](Data(contentsOf: URL(fileURLWithPath: disk.snapshot))))
        let other = SHA256.hash([9])
        forged.state.genesisHash = other
        forged.blockHashes[0] = other
        try KeyFile.writeSecretFileAtomically(path: disk.snapshot, contents: try forged.encoded())
        let opened = try disk.open()
        #expect(opened.rebuildReason == nil, "the forged snapshot matches the file's tail and stamp")
        let problems = try opened.pinProblems(ChainPins(genesis: other))
        #expect(problems.count == 1 && problems[0].detail.contains("is not the genesis"), "\(problems)")
        #expect(throws: ToolError.self) {
            try SealingChain(path: disk.path, genesis: other, now: 1_795_800_000, diagnostics: disk.diagnostics)
        }
    }

    /// The sealer's start reads the chain once, then only what is new: its
    /// next start reads nothing, and following it reads the new blocks only.
    @Test func theSealerReadsOnlyWhatIsNew() throws {
        var chain = try Self.richChain()
        let disk = try OnDisk(chain)
        defer { disk.remove() }
        let pin = chain.blocks[0].header.hash
        let first = try SealingChain(path: disk.path, genesis: pin, now: 1_795_800_000, diagnostics: disk.diagnostics)
        #expect(first.blocksRead == 5)
        let second = try SealingChain(path: disk.path, genesis: pin, now: 1_795_800_000, diagnostics: disk.diagnostics)
        #expect(second.blocksRead == 0, "the snapshot the first start saved")
        _ = try chain.append([try chain.signed(chain.reading(seq: 4))])
        _ = try chain.append([try chain.signed(chain.reading(seq: 5))])
        try disk.write(chain.blocks)
        _ = try second.refresh(now: 1_795_800_000)
        #expect(second.blocksRead == 2 && second.state.tip == chain.blocks[6].header.hash)
        // Another genesis pinned: refused, snapshot or not.
        #expect(throws: ToolError.self) {
            try SealingChain(path: disk.path, genesis: SHA256.hash([1]), now: 1_795_800_000, diagnostics: disk.diagnostics)
        }
    }
}
