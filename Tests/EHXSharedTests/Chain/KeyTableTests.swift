import Foundation
import Testing
@testable import EHXShared

/// The chain state's key table: exact whatever the fingerprints say, small,
/// spilled to a file past its memory limit, and the same after a snapshot.
@Suite struct KeyTableTests {
    static func key(_ n: Int) -> TxidKey { TxidKey(SHA256.hash(Array("key \(n)".utf8))) }

    /// Every key the same hash: every lookup meets every slot's fingerprint.
    static let colliding: KeyTable.Hashing = { _ in 0x0123_4567_89ab_cdef }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "ehx-keytable-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The table's snapshot form, without the writer's checksum.
    static func encoded(_ table: KeyTable) -> [UInt8] {
        let out = SnapshotWriter()
        table.encode(to: out)
        _ = out.finish()
        return Array(out.collected.dropLast(32))
    }

    static func entries(_ table: KeyTable) -> Set<String> {
        var out: Set<String> = []
        table.forEach { kind, key, txid in out.insert("\(kind):\(key.hex):\(txid?.hex ?? "")") }
        return out
    }

    @Test func aFingerprintMatchIsCheckedAgainstTheWholeKey() {
        let table = KeyTable(hashing: Self.colliding)
        for n in 0..<300 { table.insert(.plain, key: Self.key(n)) }
        #expect((0..<300).allSatisfy { table.contains([.plain], key: Self.key($0)) }, "every key found")
        #expect(!(300..<600).contains { table.contains([.plain], key: Self.key($0)) }, "no key it lacks, though every fingerprint matches")
    }

    @Test func aReadingIsFoundByItsKeyAndItsTxidAndKind() {
        for hashing in [KeyTable.defaultHashing, Self.colliding] {
            let table = KeyTable(hashing: hashing)
            table.insert(.reading, key: Self.key(1), txid: Self.key(101))
            table.insert(.validReading, key: Self.key(2), txid: Self.key(102))
            table.insert(.plain, key: Self.key(3))
            #expect(table.contains([.reading, .validReading], key: Self.key(1), txid: Self.key(101)))
            #expect(!table.contains([.reading, .validReading], key: Self.key(1), txid: Self.key(102)), "same reading key, another txid")
            #expect(!table.contains([.validReading], key: Self.key(1)), "an invalid reading is no alert's reading")
            #expect(table.contains([.validReading], key: Self.key(2)))
            #expect(!table.contains([.plain], key: Self.key(2)) && !table.contains([.plain], key: Self.key(101)))
            #expect(table.contains([.plain], key: Self.key(3)) && !table.contains([.reading], key: Self.key(3)))
        }
    }

    @Test func itGrowsAndStaysWithinTwelveAndAHalfBytesAKey() {
        let table = KeyTable()
        var worst = 0.0
        for n in 0..<300_000 {
            table.insert(.plain, key: Self.key(n))
            if n >= 100_000 && n % 1_000 == 0 { worst = max(worst, Double(table.slotBytes) / Double(table.count)) }
        }
        #expect(table.count == 300_000)
        #expect(worst <= 12.6, "slot bytes per key: \(worst)")
        #expect((0..<300_000).allSatisfy { table.contains([.plain], key: Self.key($0)) })
        #expect(!(300_000..<310_000).contains { table.contains([.plain], key: Self.key($0)) })
    }

    @Test func keysPastTheMemoryLimitGoToAFileAndAreStillExact() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let table = KeyTable(hashing: Self.colliding, spill: KeySpill(memoryLimit: 64, directory: dir))
        for n in 0..<2_000 { table.insert(n % 2 == 0 ? .plain : .validReading, key: Self.key(n), txid: Self.key(n + 1_000_000)) }
        #expect(table.spill.usesFile)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "the file is unlinked at once")
        #expect((0..<2_000).allSatisfy { n in
            n % 2 == 0 ? table.contains([.plain], key: Self.key(n)) : table.contains([.validReading], key: Self.key(n), txid: Self.key(n + 1_000_000))
        })
        #expect(!(2_000..<2_300).contains { table.contains([.plain, .validReading], key: Self.key($0)) })
    }

    @Test func noDirectoryForTheFileKeepsTheKeysInMemory() {
        let table = KeyTable(spill: KeySpill(memoryLimit: 16, directory: "/nonexistent-ehx-dir"))
        for n in 0..<100 { table.insert(.plain, key: Self.key(n)) }
        #expect(table.spill.inMemoryOnly && !table.spill.usesFile)
        #expect((0..<100).allSatisfy { table.contains([.plain], key: Self.key($0)) })
    }

    @Test func theSnapshotFormRoundTrips() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (hashing, limit) in [(KeyTable.defaultHashing, 1 << 17), (Self.colliding, 100)] {
            let table = KeyTable(hashing: hashing, spill: KeySpill(memoryLimit: limit, directory: dir))
            for n in 0..<3_000 { table.insert([.plain, .reading, .validReading][n % 3], key: Self.key(n), txid: Self.key(-n)) }
            let bytes = Self.encoded(table)
            let restored = try KeyTable.decode(from: SnapshotReader(bytes: bytes, limit: bytes.count), hashing: hashing,
                                               spill: KeySpill(memoryLimit: limit, directory: dir))
            #expect(restored.count == table.count && Self.entries(restored) == Self.entries(table))
            #expect(restored.contains([.reading], key: Self.key(1), txid: Self.key(-1)) && !restored.contains([.plain], key: Self.key(3_001)))
            // Cut short, or a slot naming a key past the end: refused.
            #expect(throws: ChainSnapshotError.self) { try KeyTable.decode(from: SnapshotReader(bytes: bytes, limit: bytes.count - 8)) }
            var wrongCount = bytes
            wrongCount[0] = 1; wrongCount[1] = 0; wrongCount[2] = 0
            #expect(throws: ChainSnapshotError.self) { try KeyTable.decode(from: SnapshotReader(bytes: wrongCount, limit: wrongCount.count)) }
        }
    }

    @Test func aCopyOfTheStateKeepsItsOwnKeys() throws {
        var original = ChainKeys()
        original.insert(.plain, key: Self.key(1))
        var copy = original
        copy.insert(.plain, key: Self.key(2))
        #expect(copy.contains([.plain], key: Self.key(1)) && copy.contains([.plain], key: Self.key(2)))
        #expect(!original.contains([.plain], key: Self.key(2)), "the copy's key is not the original's")
        original.insert(.validReading, key: Self.key(3), txid: Self.key(4))
        #expect(!copy.contains([.validReading], key: Self.key(3)))
        // The pending keys survive a snapshot and move into the table later.
        let out = SnapshotWriter()
        copy.encode(to: out)
        _ = out.finish()
        let restored = try ChainKeys.decode(from: SnapshotReader(bytes: out.collected, limit: out.collected.count - 32))
        #expect(restored.count == 2 && restored.contains([.plain], key: Self.key(2)))
        copy = original
        original.insert(.plain, key: Self.key(5))
        copy = ChainKeys()
        original.insert(.plain, key: Self.key(6))
        #expect(original.count == 4 && original.storage.count == 4, "alone again: pending keys moved into the table")
    }

    /// A snapshot file is read a MiB at a time (its checksum in one pass, its
    /// sections in a second) into the same state as the bytes in memory.
    @Test func aSnapshotFileIsReadAsItsBytesAre() throws {
        let chain = try LocalChainTests.richChain()
        var state = LocalChainTests.replayed(chain).state
        for n in 0..<60_000 { state.keys.insert(.plain, key: Self.key(n)) }
        let snapshot = ChainSnapshot(state: state, binding: .init(chainBytes: 100, lastLineBytes: 10, lastLineHash: SHA256.hash([1])),
                                     blockHashes: chain.blocks.map(\.header.hash), blockBits: chain.blocks.map(\.header.bits),
                                     blockTimes: chain.blocks.map(\.header.time), blockRequiredBits: chain.blocks.map(\.header.bits))
        let bytes = try snapshot.encoded()
        #expect(bytes.count > 2 << 20, "more than one read's worth")
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func read(_ bytes: [UInt8]) throws -> ChainSnapshot {
            let path = dir + "/chain.state"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            return try ChainSnapshot.read(fd: fd, size: bytes.count, runDirectory: nil)
        }
        let restored = try read(bytes)
        #expect(LocalChainTests.fields(restored.state) == LocalChainTests.fields(state))
        #expect(restored.state.keys.contains([.plain], key: Self.key(59_999)) && !restored.state.keys.contains([.plain], key: Self.key(60_000)))
        for at in [20, bytes.count / 2, bytes.count - 1] {
            var damaged = bytes
            damaged[at] ^= 1
            #expect(throws: ChainSnapshotError.self) { try read(damaged) }
        }
        var older = bytes
        older[15] = UInt8(ascii: "1")
        #expect(throws: ChainSnapshotError.self) { try read(older) }
        #expect(throws: ChainSnapshotError.self) { try read(Array(bytes.dropLast(100))) }
    }

    // MARK: - The chain's rules over the table

    /// A validator whose state's table makes every fingerprint collide.
    static func validateColliding(_ chain: TestChain) -> [Int64: [ChainProblem]] {
        var validator = ChainValidator(now: chain.clock, state: ChainState(keys: ChainKeys(table: KeyTable(hashing: colliding))))
        var out: [Int64: [ChainProblem]] = [:]
        for block in chain.blocks {
            let problems = validator.add(block, lineBytes: block.canonicalLine.count)
            if !problems.isEmpty { out[block.height, default: []] += problems }
        }
        return out
    }

    static func rules(_ problems: [ChainProblem]?) -> [ChainProblem.Rule] { (problems ?? []).map(\.rule) }

    /// A reading's txid is found through its reading key, so a copy of it is
    /// a duplicate even where the seq rule would let it through: after the
    /// authority set the device's seq back, and after a copy that was
    /// itself invalid (its signature forged).
    @Test func aCopiedReadingIsADuplicateWhateverItsSeq() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        let reading = try chain.signed(chain.reading(device: "bed1", seq: 5, ts: chain.ts()))
        _ = try chain.append([reading])
        let reset = KeyChange(action: .grant, role: .gateway, key: chain.gateway.publicKey, devices: ["bed1"], seq: 4)
        _ = try chain.append([try chain.signed(reset.json, type: .key, by: chain.authority)])
        _ = try chain.append([reading])
        for problems in [chain.validate(), Self.validateColliding(chain)] {
            #expect(Self.rules(problems[3]) == [.duplicateTxid], "\(problems)")
        }
        // The same reading signed by a key that may not: a role problem, then a copy of it.
        var second = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        let stranger = try Ed25519.PrivateKey()
        let unbound = try second.signed(second.reading(device: "bed1", seq: 5, ts: second.ts()), by: stranger)
        _ = try second.append([unbound])
        _ = try second.append([unbound])
        for problems in [second.validate(), Self.validateColliding(second)] {
            #expect(Self.rules(problems[2]).contains(.duplicateTxid), "\(problems)")
        }
    }

    /// Alerts' refs and repeats come out the same when every fingerprint
    /// collides: only the whole key decides.
    @Test func alertRulesAreExactUnderCollidingFingerprints() throws {
        var chain = try TestChain(rulesVersion: 2, gatewayDevices: ["bed1"])
        var readings: [Transaction] = []
        for seq in 1...20 { readings.append(try chain.signed(chain.reading(device: "bed1", seq: Int64(seq), value: 135, ts: chain.ts()))) }
        _ = try chain.append(readings)
        let named = readings[7].body
        func alert(seq: Int64, ref: String) -> JSONValue {
            ["device": "bed1", "patient": "P-1", "seq": .number(Double(seq)), "ts": .string(chain.ts()), "ref": .string(ref),
             "kind": "heart_rate", "value": 135, "level": "low-medium", "reasons": ["heart_rate 135 /min scores 3 on NEWS2 (>=131)"],
             "rules": [["rule": "news2", "kind": "heart_rate", "value": 135, "score": 3]]]
        }
        let good = alert(seq: 8, ref: SHA256.hash(named.canonicalBytes()).hex)
        _ = try chain.append([try chain.signed(good, type: .alert), try chain.signed(alert(seq: 9, ref: SHA256.hash(named.canonicalBytes()).hex), type: .alert)])
        _ = try chain.append([try Transaction.sign(type: .alert, body: good, ts: Timestamp(millisecondsSince1970: chain.clock * 1000 + 9), key: chain.gateway)])
        let expected = chain.validate()
        #expect(Self.rules(expected[2]) == [.alertRef], "\(expected)")
        #expect(Self.rules(expected[3]) == [.alertRepeat], "\(expected)")
        #expect(Self.validateColliding(chain).mapValues { Self.rules($0) } == expected.mapValues { Self.rules($0) })
    }
}
