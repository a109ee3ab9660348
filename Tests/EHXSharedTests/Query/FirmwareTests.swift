import Foundation
import Testing
@testable import EHXShared

@Suite struct FirmwareTests {
    struct Fixture {
        var chain: TestChain
        let maker: Ed25519.PrivateKey
        let imageA = SHA256.hash([UInt8]("image A".utf8))
        let imageB = SHA256.hash([UInt8]("image B".utf8))

        init() throws {
            chain = try TestChain()
            maker = try Ed25519.PrivateKey()
            let grant = KeyChange(action: .grant, role: .manufacturer, key: maker.publicKey)
            _ = try chain.append([try chain.signed(grant.json, type: .key, by: chain.authority)])
        }

        func body(_ version: String, _ image: SHA256Digest, model: String = "HR-9", revoked: Bool = false) -> JSONValue {
            FirmwareRelease(vendor: "Acme", model: model, version: version, sha256: image, size: 7, revoked: revoked).json
        }

        func registry() throws -> FirmwareRegistry {
            var r = FirmwareRegistry(now: chain.clock)
            for b in chain.blocks { try r.add(b, lineBytes: b.canonicalLine.count) }
            return r
        }
    }

    @Test func acceptsARegisteredRelease() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA), type: .firmware, by: f.maker)])
        _ = try f.chain.append([try f.chain.signed(f.body("1.1", f.imageB), type: .firmware, by: f.maker)])
        let r = try f.registry()
        #expect(r.latest(model: "HR-9")?.release.version == "1.1")
        guard case .accepted(let rel) = r.check(model: "HR-9", sha256: f.imageA, size: 7) else { Issue.record("refused"); return }
        #expect(rel.release.version == "1.0" && rel.height == 2)
    }

    @Test func rejectsUnknownModelWrongHashAndSize() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA), type: .firmware, by: f.maker)])
        let r = try f.registry()
        for (model, image, size, words) in [("XX", f.imageA, Int64(7), "unknown model"), ("HR-9", f.imageB, 7, "not a registered release"),
                                             ("HR-9", f.imageA, 8, "size")] {
            guard case .rejected(let why) = r.check(model: model, sha256: image, size: size) else { Issue.record("accepted \(model)"); continue }
            #expect(why.contains(words), "\(why)")
        }
    }

    @Test func rejectsAReleaseByAKeyWithoutTheManufacturerRole() throws {
        var f = try Fixture()
        // The gateway may sign readings, not firmware: the validator flags it.
        _ = try f.chain.append([try f.chain.signed(f.body("9.9", f.imageB), type: .firmware, by: f.chain.gateway)])
        let r = try f.registry()
        guard case .rejected(let why) = r.check(model: "HR-9", sha256: f.imageB, size: 7) else { Issue.record("accepted"); return }
        #expect(why.contains("does not count") && why.contains("role"))
        #expect(r.latest(model: "HR-9") == nil)
    }

    @Test func rejectsARevokedReleaseAndARoleGrantedTooLate() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA), type: .firmware, by: f.maker)])
        _ = try f.chain.append([try f.chain.signed(f.body("1.1", f.imageB), type: .firmware, by: f.maker)])
        _ = try f.chain.append([try f.chain.signed(f.body("1.1", f.imageB, revoked: true), type: .firmware, by: f.maker)])
        var r = try f.registry()
        guard case .rejected(let why) = r.check(model: "HR-9", sha256: f.imageB, size: 7) else { Issue.record("accepted"); return }
        #expect(why.contains("revoked at height 4"))
        #expect(r.latest(model: "HR-9")?.release.version == "1.0")
        // A key granted the role signs in the same block as its grant: too early.
        let late = try Ed25519.PrivateKey()
        let grant = KeyChange(action: .grant, role: .manufacturer, key: late.publicKey)
        let imageC = SHA256.hash([UInt8]("C".utf8))
        _ = try f.chain.append([try f.chain.signed(grant.json, type: .key, by: f.chain.authority),
                                try f.chain.signed(f.body("2.0", imageC), type: .firmware, by: late)])
        r = try f.registry()
        guard case .rejected = r.check(model: "HR-9", sha256: imageC, size: 7) else { Issue.record("accepted a release signed before the grant took effect"); return }
        #expect(throws: RecordError.self) { try FirmwareRelease(parsing: ["vendor": "A", "model": "M", "version": "1", "sha256": .string(imageC.hex), "size": 1, "revoked": false]) }
    }

    /// `ehx-query firmware` at 10^7 transactions must not replay the chain:
    /// the releases come from the state snapshot and the blocks after it,
    /// and say exactly what a replay says.
    @Test func theRegistryIsReadFromTheSnapshotAndTheBlocksAfterIt() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA), type: .firmware, by: f.maker)])
        _ = try f.chain.append([try f.chain.signed(f.body("1.1", f.imageB), type: .firmware, by: f.maker),
                                try f.chain.signed(f.body("1.0", f.imageA, model: "SPO-2"), type: .firmware, by: f.maker)])
        let disk = try LocalChainTests.OnDisk(f.chain)
        defer { disk.remove() }
        func load(pin: SHA256Digest? = nil) throws -> FirmwareRegistry {
            try FirmwareRegistry.load(chain: disk.path, now: 1_795_800_000, genesis: pin, threads: 2, diagnostics: disk.diagnostics)
        }
        func expectSameAsReplay(_ r: FirmwareRegistry, _ comment: Comment) throws {
            let replayed = try f.registry()
            #expect(r.releases.map(\.json) == replayed.releases.map(\.json), comment)
            #expect(r.releases.count == replayed.releases.count && !r.releases.isEmpty, comment)
        }
        var local = try disk.open()
        try local.save()
        var r = try load()
        #expect(r.source == .state(blocksRead: 0))
        #expect(r.latest(model: "HR-9")?.release.version == "1.1" && r.matching(model: "SPO-2", vendor: "Acme").count == 1)
        try expectSameAsReplay(r, "from the snapshot alone")

        // A revocation and a release after the snapshot: only their block is read.
        _ = try f.chain.append([try f.chain.signed(f.body("1.1", f.imageB, revoked: true), type: .firmware, by: f.maker),
                                try f.chain.signed(f.body("1.2", f.imageB, model: "SPO-2"), type: .firmware, by: f.maker)])
        try disk.write(f.chain.blocks)
        r = try load()
        #expect(r.source == .state(blocksRead: 1))
        guard case .rejected(let why) = r.check(model: "HR-9", sha256: f.imageB, size: 7) else { Issue.record("accepted a revoked release"); return }
        #expect(why.contains("revoked at height 4"), "\(why)")
        try expectSameAsReplay(r, "snapshot and one block")
        #expect(throws: ToolError.self) { try load(pin: SHA256.hash([9])) }
        #expect(try load(pin: f.chain.blocks[0].header.hash).source == .state(blocksRead: 1))
        // A snapshot others could have written is not the state's to trust: replayed, the same answer.
        #expect(chmod(disk.snapshot, 0o666) == 0)
        #expect(!LocalChain.snapshotIsOwnOrAbsent(chain: disk.path))
        let foreign = try load()
        #expect(foreign.source == .replay && foreign.releases.map(\.json) == r.releases.map(\.json))
        #expect(chmod(disk.snapshot, 0o600) == 0)

        // A miner's append in progress (a last line without its newline) is not read from the state.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: disk.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"hash\":".utf8))
        try handle.close()
        let torn = try load()
        #expect(torn.source == .state(blocksRead: 1) && torn.releases.map(\.json) == r.releases.map(\.json))

        // A release that breaks a rule: the state cannot say which, so the chain is replayed to name it.
        _ = try f.chain.append([try f.chain.signed(f.body("9.9", f.imageA), type: .firmware, by: f.chain.gateway)])
        try disk.write(f.chain.blocks)
        r = try load()
        #expect(r.source == .replay)
        guard case .accepted(let good) = r.check(model: "HR-9", sha256: f.imageA, size: 7) else { Issue.record("refused 1.0"); return }
        #expect(good.release.version == "1.0")
        #expect(r.releases.last?.invalidReason?.contains("role") == true)
        try expectSameAsReplay(r, "replayed")
    }

    /// The replay (a chain the state cannot vouch for) reads and checks its
    /// blocks on several workers, a window ahead of the ordered rules: on
    /// any thread count it gives the block-by-block registry, a broken
    /// release's reason included, and stops at a torn or damaged line with
    /// the file and line named.
    @Test func theReplayOnWorkersIsTheBlockByBlockReplay() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA), type: .firmware, by: f.maker)])
        _ = try f.chain.append([try f.chain.signed(f.body("1.1", f.imageB), type: .firmware, by: f.maker),
                                try f.chain.signed(f.body("6.6", f.imageA), type: .firmware, by: f.chain.gateway)])
        _ = try f.chain.append([try f.chain.signed(f.body("1.1", f.imageB, revoked: true), type: .firmware, by: f.maker)])
        let disk = try LocalChainTests.OnDisk(f.chain)
        defer { disk.remove() }
        let serial = try f.registry()
        #expect(serial.releases.contains { $0.invalidReason?.contains("role") == true })
        for threads in [1, 2, 3] {
            let r = try FirmwareRegistry.replay(chain: disk.path, now: f.chain.clock, threads: threads)
            #expect(r.source == .replay && r.releases.map(\.json) == serial.releases.map(\.json), "threads \(threads)")
        }
        let lines = f.chain.blocks.map { String(decoding: $0.canonicalLine, as: UTF8.self) }
        func refusal(_ text: String) -> String? {
            do {
                try text.write(toFile: disk.path, atomically: true, encoding: .utf8)
                _ = try FirmwareRegistry.replay(chain: disk.path, now: f.chain.clock, threads: 2)
                return nil
            } catch {
                return (error as? ToolError).map { "\($0.exitStatus.rawValue) \($0.description)" }
            }
        }
        let torn = lines.joined() + "{\"hash\":"
        #expect(refusal(torn)?.hasPrefix("65 \(disk.path):\(lines.count + 1): truncated") == true, "\(refusal(torn) ?? "accepted")")
        let damaged = lines.enumerated().map { $0 == 2 ? String($1.dropFirst()) : $1 }.joined()
        #expect(refusal(damaged)?.hasPrefix("65 \(disk.path):3: ") == true, "\(refusal(damaged) ?? "accepted")")
        #expect(refusal("")?.hasPrefix("65 \(disk.path): empty chain") == true, "\(refusal("") ?? "accepted")")
    }

    /// `--all`, `--check` and the latest all match a model by its bytes: two
    /// spellings of one name (NFC, NFD) are two models, as every id is.
    @Test func modelsAreMatchedByBytes() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA, model: "Caf\u{e9}"), type: .firmware, by: f.maker),
                                try f.chain.signed(f.body("2.0", f.imageB, model: "Cafe\u{301}"), type: .firmware, by: f.maker)])
        let r = try f.registry()
        #expect("Caf\u{e9}" == "Cafe\u{301}", "Swift's String equality would merge them")
        #expect(r.matching(model: "Caf\u{e9}", vendor: nil).map(\.release.version) == ["1.0"])
        #expect(r.matching(model: "Cafe\u{301}", vendor: "Acme").map(\.release.version) == ["2.0"])
        #expect(r.latest(model: "Caf\u{e9}")?.release.version == "1.0")
    }

    /// The attacker: another account that can write beside the chain plants
    /// a snapshot whose state registers an image no manufacturer signed.
    /// It must not count: a snapshot others own or could write is never the
    /// state's (THREAT MODEL says a snapshot the running account wrote
    /// itself is trusted, and the first check shows the forgery would work
    /// if it were).
    @Test func aForgedSnapshotOfAnotherAccountRegistersNothing() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA), type: .firmware, by: f.maker)])
        let disk = try LocalChainTests.OnDisk(f.chain)
        defer { disk.remove() }
        var local = try disk.open()
        try local.save()
        let rogue = SHA256.hash([UInt8]("rogue image".utf8))
        var forged = local.state
        let planted = try f.chain.signed(f.body("6.6", rogue), type: .firmware, by: f.chain.gateway)
        forged.firmwareLedger?.record(planted, height: local.state.height, invalidReason: nil)
        let snapshot = ChainSnapshot(state: forged, binding: try #require(local.binding), blockHashes: local.blockHashes,
                                     blockBits: local.blockBits, blockTimes: local.blockTimes, blockRequiredBits: local.blockRequiredBits)
        try Data(try snapshot.encoded()).write(to: URL(fileURLWithPath: disk.snapshot))
        func load() throws -> FirmwareRegistry {
            try FirmwareRegistry.load(chain: disk.path, now: 1_795_800_000, threads: 2, diagnostics: disk.diagnostics)
        }
        func accepted(_ r: FirmwareRegistry) -> Bool {
            if case .accepted = r.check(model: "HR-9", sha256: rogue, size: 7) { return true }
            return false
        }
        #expect(chmod(disk.snapshot, 0o600) == 0)
        let own = try load()
        #expect(own.source == .state(blocksRead: 0) && accepted(own), "this account's own snapshot is believed")
        // Writable by group or others: anyone could have planted it.
        #expect(chmod(disk.snapshot, 0o666) == 0)
        let writable = try load()
        #expect(writable.source == .replay && !accepted(writable))
        #expect(writable.latest(model: "HR-9")?.release.version == "1.0")
        // Owned by another account (root can hand it over).
        #expect(chmod(disk.snapshot, 0o600) == 0)
        if geteuid() == 0 {
            #expect(chown(disk.snapshot, 65534, 65534) == 0)
            let foreign = try load()
            #expect(foreign.source == .replay && !accepted(foreign))
        }
    }

    /// The ledger survives the snapshot; a snapshot without it (written
    /// before the state kept releases) is read as "unknown", never as "none".
    @Test func theLedgerSurvivesTheSnapshotAndAnOlderOneIsUnknown() throws {
        var f = try Fixture()
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA), type: .firmware, by: f.maker)])
        _ = try f.chain.append([try f.chain.signed(f.body("1.0", f.imageA, revoked: true), type: .firmware, by: f.maker)])
        var state = LocalChainTests.replayed(f.chain).state
        #expect(state.firmware?.releases.count == 1 && state.firmware?.releases.first?.revokedAt == 3)
        func roundTrip(_ state: ChainState, of chain: TestChain) throws -> ChainState {
            let snapshot = ChainSnapshot(state: state, binding: .init(chainBytes: 1, lastLineBytes: 1, lastLineHash: .zero),
                                         blockHashes: chain.blocks.map(\.header.hash), blockBits: chain.blocks.map(\.header.bits),
                                         blockTimes: chain.blocks.map(\.header.time), blockRequiredBits: chain.blocks.map(\.header.bits))
            return try ChainSnapshot.decode(try snapshot.encoded()).state
        }
        func roundTrip(_ state: ChainState) throws -> ChainState { try roundTrip(state, of: f.chain) }
        #expect(try roundTrip(state).firmware == state.firmware)
        let bare = try TestChain()
        #expect(try roundTrip(LocalChainTests.replayed(bare).state, of: bare).firmware == FirmwareLedger(), "no releases is known, and empty")
        state.firmwareLedger = nil
        #expect(try state.snapshotFacts()["firmware"] == nil)
        #expect(try roundTrip(state).firmware == nil)
        // A firmware transaction that breaks a rule makes it unknown too.
        var other = LocalChainTests.replayed(f.chain).state
        _ = other.admit(try f.chain.signed(f.body("2.0", f.imageB), type: .firmware, by: f.chain.gateway), height: other.height + 1)
        #expect(other.firmware == nil)
    }

    @Test func hashesFilesInChunks() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-fw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: url)
        let (digest, size) = try SHA256File.digest(path: url.path)
        #expect(digest == SHA256.hash(bytes) && size == Int64(bytes.count))
        #expect(throws: ToolError.self) { try SHA256File.digest(path: url.path + ".missing") }
    }
}
