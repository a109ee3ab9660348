import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// kill -9 of store writes (ehx-sign --seal --store, blobs --import) and of
/// erasure (blobs --sync): after any kill every blob file is intact under its
/// name, nothing erased comes back, and the next run finishes the work. A
/// few kills each in `make test`; long loops behind `make check-faults`
/// (EndToEndFaultsStore, EHX_FAULTS=1).
enum StoreKills {
    static func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Every file under DIR/sha256 whose name is a hash holds bytes of that hash.
    static func checkIntact(_ store: String) throws -> Set<String> {
        var names: Set<String> = []
        let root = store + "/sha256"
        guard FileManager.default.fileExists(atPath: root) else { return [] }
        for dir in try FileManager.default.contentsOfDirectory(atPath: root) {
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + dir) where !name.hasPrefix(".") {
                let bytes = try Files.bytes(root + "/" + dir + "/" + name)
                #expect(SHA256.hash(bytes).hex == dir + name, "a torn blob under \(dir + name)")
                names.insert(dir + name)
            }
        }
        return names
    }

    static func killLoop(iterations: Int) throws {
        let dir = try Scratch("store-kill")
        defer { dir.remove() }
        let p = dir.path
        let store = p("store")
        let f = try PrivacyFixture.make(in: dir, sampleLines: 400, store: store)
        let expected = try checkIntact(store)
        #expect(expected.count >= 300)

        // Store writes: ehx-sign --seal --store killed at random points, then run whole.
        let fresh = p("fresh")
        let sign = ["--seal", "--store", fresh, "--chain", f.chain, "--genesis", f.base.genesisHash,
                    "--pseudonym-key", f.pseudonymKey, "--key", f.base.gatewayKey, f.base.accepted]
        for i in 0..<iterations {
            let running = try Tool.start("ehx-sign", sign)
            usleep(UInt32(100_000 + (i * 137_000) % 900_000))
            running.kill(SIGKILL)
            _ = running.wait()
            _ = try checkIntact(fresh)
        }
        let whole = try Tool.run("ehx-sign", sign, timeout: 300)
        #expect(whole.status == 0, "\(whole)")
        var named: Set<String> = []
        for line in whole.outLines {
            let body = try JSONLine.object(line)["body"] as? [String: Any]
            if let blob = (body?["stored"] as? [String: Any])?["sha256"] as? String { named.insert(blob) }
        }
        #expect(named.isSubset(of: try checkIntact(fresh)), "a signed transaction names a blob the store lacks")

        // Replication killed mid-stream: what landed is intact; a rerun completes it.
        let copy = p("copy")
        let stream = p("stream")
        #expect(try Tool.shell("ehx-query --store \(q(store)) blobs --export --all > \(q(stream))", timeout: 300).status == 0)
        let importing = ["--store", copy, "blobs", "--import", stream]
        for i in 0..<iterations {
            let running = try Tool.start("ehx-query", importing)
            usleep(UInt32(20_000 + (i * 53_000) % 300_000))
            running.kill(SIGKILL)
            _ = running.wait()
            _ = try checkIntact(copy)
        }
        #expect(try Tool.run("ehx-query", importing, timeout: 300).status == 0)
        #expect(try checkIntact(copy) == expected)

        // Erasure killed at random points: resumable and idempotent.
        let pseudonymBody = try Tool.run("ehx-query", ["--chain", f.chain, "blobs", "--erasure-body", "--patient", "P-0001",
                                                       "--pseudonym-key", f.pseudonymKey, "--request", "ref 7", "--reason", "GDPR Art. 17"])
        #expect(pseudonymBody.status == 0, "\(pseudonymBody)")
        let erased = Set((try JSONLine.object(pseudonymBody.out))["blobs"] as? [String] ?? [])
        try Files.write(p("erasure.json"), pseudonymBody.stdout)
        let tx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "erasure", "--key", f.base.authorityKey, p("erasure.json")]))
        try Files.write(p("erasure-tx.jsonl"), tx.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.base.minerKey, "-q", p("erasure-tx.jsonl")]))
        // The chain state snapshot first, so each sync run reaches its deletions quickly.
        _ = try Tool.run("ehx-query", ["--chain", f.chain, "--store", p("scratch"), "blobs", "--sync"])
        for i in 0..<iterations {
            let running = try Tool.start("ehx-query", ["--chain", f.chain, "--store", copy, "blobs", "--sync"])
            usleep(UInt32(5_000 + (i * 29_000) % 200_000))
            running.kill(SIGKILL)
            _ = running.wait()
            let held = try checkIntact(copy)
            // Nothing but erased blobs ever goes; the rest stay for --store to find.
            #expect(expected.subtracting(erased).isSubset(of: held))
            let audit = try f.base.verify(nil, ["--store", copy])
            #expect(audit.problems.allSatisfy { $0.rule == "erased-present" }, "\(audit)")
        }
        for _ in 0..<2 {
            let done = try Tool.run("ehx-query", ["--chain", f.chain, "--store", copy, "blobs", "--sync"])
            #expect(done.status == 0, "\(done)")
            #expect(try checkIntact(copy) == expected.subtracting(erased))
        }
        #expect(try f.base.verify(nil, ["--store", copy]).status == 0)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: copy).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}

@Suite(.serialized) struct EndToEndStoreKills {
    @Test func aFewKillsOfStoreWritesAndErasure() throws {
        try StoreKills.killLoop(iterations: 3)
    }
}

@Suite(.serialized) struct EndToEndFaultsStore {
    @Test(.enabled(if: Faults.long, "long kill loops: make check-faults (EHX_FAULTS=1)"))
    func manyKillsOfStoreWritesAndErasure() throws {
        try StoreKills.killLoop(iterations: 25)
    }
}
