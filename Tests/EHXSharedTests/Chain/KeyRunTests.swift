import Foundation
import Testing
@testable import EHXShared

/// Key runs: the chain state's keys in sorted files beside its snapshot,
/// exact as the table is, merged as a binary counter, checked when opened,
/// and safe against a second process saving at the same time.
@Suite struct KeyRunTests {
    static let key = KeyTableTests.key

    static func directory() throws -> (SafeDirectory, String) {
        let path = try KeyTableTests.temporaryDirectory()
        chmod(path, 0o700)
        return (try SafeDirectory(path: path), path)
    }

    /// Plain keys 0..<n, and readings n..<2n with txids 2n..<3n.
    static func keys(_ n: Int, from start: Int = 0, into keys: inout ChainKeys) {
        for i in start..<(start + n) {
            keys.insert(.plain, key: key(i))
            keys.insert(i % 2 == 0 ? .reading : .validReading, key: key(1_000_000 + i), txid: key(2_000_000 + i))
        }
    }

    static func found(_ keys: ChainKeys, _ n: Int, from start: Int = 0) -> Bool {
        (start..<(start + n)).allSatisfy { i in
            keys.contains([.plain], key: key(i))
                && keys.contains([i % 2 == 0 ? .reading : .validReading], key: key(1_000_000 + i), txid: key(2_000_000 + i))
                && keys.contains([.reading, .validReading], key: key(1_000_000 + i))
        }
    }

    @Test(arguments: [false, true])
    func aRunFindsExactlyWhatItHolds(colliding: Bool) throws {
        let (dir, path) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Colliding: every entry has one hash, so a lookup scans stretch after stretch.
        var keys = ChainKeys(table: colliding ? KeyTable(hashing: KeyTableTests.colliding) : KeyTable())
        Self.keys(300, into: &keys)
        try keys.settle(in: dir, threshold: 1)
        #expect(keys.runs.count == 1 && keys.storage.count == 0 && keys.count == 600, "everything moved to one run")
        #expect(Self.found(keys, 300))
        #expect(!(300..<600).contains { keys.contains([.plain], key: Self.key($0)) }, "nothing it lacks")
        #expect(!keys.contains([.plain], key: Self.key(1_000_000)), "a reading's key is not a txid")
        #expect(!keys.contains([.validReading], key: Self.key(1_000_000)), "nor of the other kind")
        #expect(!keys.contains([.reading], key: Self.key(1_000_000), txid: Self.key(2_000_001)), "nor with another txid")
    }

    @Test func runsMergeAsABinaryCounterAndStayExact() throws {
        let (dir, path) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var keys = ChainKeys()
        var reference = ChainKeys()
        for round in 0..<40 {
            Self.keys(50, from: round * 50, into: &keys)
            Self.keys(50, from: round * 50, into: &reference)
            try keys.settle(in: dir, threshold: 100)
            let sizes = keys.runs.map(\.count)
            // Each run under half the one before it: at most log2(n / 100) + 1 runs.
            #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $1 * 2 < $0 }, "runs \(sizes)")
        }
        #expect(keys.count == 4_000 && keys.runs.count <= 6)
        #expect(Self.found(keys, 2_000))
        #expect(LocalChainTests.fields(keys) == LocalChainTests.fields(reference), "the same entries as in memory")
    }

    @Test func aRunIsCheckedWhenTheSnapshotOpensIt() throws {
        let (dir, path) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var keys = ChainKeys()
        Self.keys(200, into: &keys)
        try keys.settle(in: dir, threshold: 1)
        Self.keys(10, from: 200, into: &keys)
        let out = SnapshotWriter()
        keys.encode(to: out)
        _ = out.finish()
        let bytes = out.collected
        func decode() throws -> ChainKeys {
            try ChainKeys.decode(from: SnapshotReader(bytes: bytes, limit: bytes.count - 32), runDirectory: dir)
        }
        let restored = try decode()
        #expect(restored.count == 420 && Self.found(restored, 210))
        #expect(throws: ChainSnapshotError.self, "runs named, no directory") {
            try ChainKeys.decode(from: SnapshotReader(bytes: bytes, limit: bytes.count - 32))
        }
        let run = path + "/" + keys.runs[0].name
        let original = try Data(contentsOf: URL(fileURLWithPath: run))
        // Another run under its name (another snapshot's, same size): the checksum.
        var other = ChainKeys()
        Self.keys(200, from: 5_000, into: &other)
        try other.settle(in: dir, threshold: 1)
        try FileManager.default.removeItem(atPath: run)
        try FileManager.default.moveItem(atPath: path + "/" + other.runs[0].name, toPath: run)
        #expect(throws: ChainSnapshotError.self) { try decode() }
        // Cut short, or readable by others.
        try original.dropLast(1).write(to: URL(fileURLWithPath: run))
        chmod(run, 0o600)
        #expect(throws: ChainSnapshotError.self) { try decode() }
        try original.write(to: URL(fileURLWithPath: run))
        chmod(run, 0o622)
        #expect(throws: ChainSnapshotError.self) { try decode() }
        chmod(run, 0o600)
        #expect(try decode().count == 420)
        try FileManager.default.removeItem(atPath: run)
        #expect {
            try decode()
        } throws: { error in
            if case ChainSnapshotError.missingRun = error { return true }
            return false
        }
    }

    /// The runs directory after saves: only what the snapshot names, and the lock.
    static func listing(_ disk: LocalChainTests.OnDisk) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: disk.snapshot + ".keys"))
    }

    /// The chain opened, with every key moved to a run at each save.
    static func open(_ disk: LocalChainTests.OnDisk) throws -> LocalChain {
        var local = try disk.open()
        local.keyRunThreshold = 1
        return local
    }

    /// The chain's state saved with all its keys in one run.
    static func saved(_ disk: LocalChainTests.OnDisk) throws -> LocalChain {
        var local = try open(disk)
        try local.save()
        return local
    }

    /// A block of as many readings as `run` holds keys, written to the chain
    /// file: the next save's new run is as large, so it merges `run` away.
    static func appendRunsWorth(_ run: KeyRun, to chain: inout TestChain, _ disk: LocalChainTests.OnDisk) throws {
        _ = try chain.append(try (0..<run.count).map { try chain.signed(chain.reading(seq: Int64(4 + $0))) })
        try disk.write(chain.blocks)
    }

    @Test func aLocalChainKeepsItsKeysInRunsAcrossSaves() throws {
        var chain = try LocalChainTests.richChain()
        let disk = try LocalChainTests.OnDisk(chain)
        defer { disk.remove() }
        let local = try Self.saved(disk)
        #expect(local.state.keys.runs.count == 1)
        // A killed save's leftovers: removed by the next save, which holds the lock.
        let runs = disk.snapshot + ".keys"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: runs + "/.keys-0123.tmp-89abcdef"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: runs + "/keys-0123456789abcdef01234567"))
        var again = try disk.open()
        #expect(again.rebuildReason == nil && again.replayedBlocks == 0)
        #expect(LocalChainTests.fields(again.state) == LocalChainTests.fields(local.state))
        for seq in 4...6 {
            _ = try chain.append([try chain.signed(chain.reading(seq: Int64(seq)))])
            try disk.write(chain.blocks)
            again = try Self.saved(disk)
        }
        #expect(try Self.listing(disk) == Set(again.state.keys.runs.map(\.name) + ["lock"]), "merged and stray runs removed")
        let last = try disk.open()
        #expect(last.rebuildReason == nil && last.replayedBlocks == 0)
        #expect(LocalChainTests.fields(last.state) == LocalChainTests.fields(LocalChainTests.replayed(chain).state))
        #expect(last.state.contains(try #require(chain.blocks.last?.txs.last)))
    }

    /// Two tools that opened the same snapshot: the first to save merges a
    /// run away; the second, standing on it, does not save a snapshot that
    /// would name it, and the next run starts from the first one's.
    @Test func aSaveStandingOnARunMergedAwayIsSkipped() throws {
        var chain = try LocalChainTests.richChain()
        let disk = try LocalChainTests.OnDisk(chain)
        defer { disk.remove() }
        let run = try #require(try Self.saved(disk).state.keys.runs.first)
        var first = try Self.open(disk), second = try Self.open(disk)
        try Self.appendRunsWorth(run, to: &chain, disk)
        #expect(try first.readAppended(now: chain.clock, threads: 1) == 1)
        #expect(try second.readAppended(now: chain.clock, threads: 1) == 1)
        try first.save()
        #expect(first.state.keys.runs.count == 1 && first.state.keys.runs[0].name != run.name, "merged")
        let kept = try Data(contentsOf: URL(fileURLWithPath: disk.snapshot))
        try second.save()
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk.snapshot)) == kept, "the second save was skipped")
        let next = try disk.open()
        #expect(next.rebuildReason == nil && next.replayedBlocks == 0)
        #expect(LocalChainTests.fields(next.state) == LocalChainTests.fields(LocalChainTests.replayed(chain).state))
    }

    /// Killed after a save wrote and merged its runs, before its snapshot:
    /// the old snapshot's runs are all still there (only a save that put its
    /// snapshot in place removes any), and the next save clears the rest.
    @Test func aSaveKilledBeforeItsSnapshotLeavesTheOldOneWhole() throws {
        var chain = try LocalChainTests.richChain()
        let disk = try LocalChainTests.OnDisk(chain)
        defer { disk.remove() }
        let run = try #require(try Self.saved(disk).state.keys.runs.first)
        let before = try Self.listing(disk)
        try Self.appendRunsWorth(run, to: &chain, disk)
        var killed = try disk.open()
        let runs = try SafeDirectory(path: disk.snapshot + ".keys")
        var state = killed.state
        try state.keys.settle(in: runs, threshold: 1)
        #expect(state.keys.runs.count == 1 && state.keys.runs[0].name != run.name, "a new run and a merge were written")
        #expect(try Self.listing(disk).isSuperset(of: before))
        killed = try Self.open(disk)
        #expect(killed.rebuildReason == nil && killed.replayedBlocks == 1, "the old snapshot, then the new block")
        try killed.save()
        #expect(try Self.listing(disk) == Set(killed.state.keys.runs.map(\.name) + ["lock"]))
        #expect(try disk.open().replayedBlocks == 0)
    }

    /// A stream mined block after block (ehx-mine reading stdin): each
    /// block's keys go into the table, not aside into the copy-on-write
    /// pending set, which a candidate sharing the table would otherwise
    /// keep growing (311 MB at 10^6 transactions).
    @Test func aStreamMinedBlockAfterBlockKeepsNoKeysAside() throws {
        var chain = try TestChain()
        chain.clock = Timestamp.now().unixSeconds - 60
        let disk = try LocalChainTests.OnDisk(chain)
        defer { disk.remove() }
        var local = try LocalChain.open(chain: disk.path, now: Timestamp.now().unixSeconds, threads: 1, diagnostics: disk.diagnostics)
        let file = try ChainFile(lockingForAppend: disk.path, wait: false)
        var candidate = local.validator.candidate()
        for seq in 1...4 {
            #expect(candidate.admit(try chain.signed(chain.reading(seq: Int64(seq)))).isEmpty)
            _ = try local.mineAndAppend(&candidate, to: file, key: chain.miner, threads: 1)
            #expect(local.state.keys.pendingCount == 0, "block \(seq): every key in the table")
            candidate = local.validator.candidate()
        }
        #expect(local.state.keys.storage.count == local.state.keys.count)
        try local.save()
        let reopened = try LocalChain.open(chain: disk.path, now: Timestamp.now().unixSeconds, threads: 1, diagnostics: disk.diagnostics)
        #expect(reopened.replayedBlocks == 0 && LocalChainTests.fields(reopened.state) == LocalChainTests.fields(local.state))
    }

    /// Whoever can write the runs' directory could put a run of their own
    /// under a name the snapshot uses: a directory group or others may
    /// write is not trusted, whatever its runs hold.
    @Test func runsInADirectoryOthersMayWriteAreNotTrusted() throws {
        let chain = try LocalChainTests.richChain()
        let disk = try LocalChainTests.OnDisk(chain)
        defer { disk.remove() }
        _ = try Self.saved(disk)
        chmod(disk.snapshot + ".keys", 0o777)
        let rebuilt = try disk.open()
        #expect(rebuilt.rebuildReason?.contains("not this user's alone") == true && rebuilt.replayedBlocks == 5)
        chmod(disk.snapshot + ".keys", 0o700)
        #expect(try disk.open().replayedBlocks == 0)
    }

    /// A loader that read a snapshot just before another process's save
    /// merged one of its runs away finds that run gone: it reads the
    /// snapshot again and starts from the one the save left, without
    /// rebuilding (without the second read it would rebuild).
    @Test func aLoaderThatFindsARunGoneReadsTheSnapshotAgain() throws {
        var chain = try LocalChainTests.richChain()
        let disk = try LocalChainTests.OnDisk(chain)
        defer { disk.remove() }
        let url = URL(fileURLWithPath: disk.snapshot)
        let run = try #require(try Self.saved(disk).state.keys.runs.first)
        let old = try Data(contentsOf: url)
        try Self.appendRunsWorth(run, to: &chain, disk)
        var merger = try Self.open(disk)
        try merger.save()
        #expect(!FileManager.default.fileExists(atPath: disk.snapshot + ".keys/" + run.name), "merged away")
        let new = try Data(contentsOf: url)
        // What the loader read first: the snapshot naming the run now gone.
        try old.write(to: url)
        LocalChain.beforeRereading.withLock { $0[disk.snapshot] = { try? new.write(to: url) } }
        defer { _ = LocalChain.beforeRereading.withLock { $0.removeValue(forKey: disk.snapshot) } }
        let loaded = try disk.open()
        #expect(loaded.rebuildReason == nil && loaded.replayedBlocks == 0)
        #expect(LocalChainTests.fields(loaded.state) == LocalChainTests.fields(LocalChainTests.replayed(chain).state))
    }

    @Test func aSnapshotWhoseRunIsGoneIsRebuilt() throws {
        let chain = try LocalChainTests.richChain()
        let disk = try LocalChainTests.OnDisk(chain)
        defer { disk.remove() }
        let run = try #require(try Self.saved(disk).state.keys.runs.first)
        try FileManager.default.removeItem(atPath: disk.snapshot + ".keys/" + run.name)
        let rebuilt = try disk.open()
        #expect(rebuilt.rebuildReason?.contains("is missing") == true && rebuilt.replayedBlocks == 5)
    }
}
