import Foundation
import Testing
@testable import EHXShared

@Suite struct BlobStoreTests {
    final class Dir {
        let path = NSTemporaryDirectory() + "ehx-blobstore-\(UUID().uuidString)"
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ digest: SHA256Digest) -> String { path + "/sha256/" + digest.hex.prefix(2) + "/" + digest.hex.dropFirst(2) }
    }

    @Test func storesByHashAndReadsBackChecked() throws {
        let dir = Dir()
        let store = try BlobStore(path: dir.path, create: true)
        let bytes = Array("a sealed part".utf8)
        let (digest, result) = try store.put(bytes)
        #expect(result == .added && digest == SHA256.hash(bytes))
        #expect(FileManager.default.fileExists(atPath: dir.file(digest)))
        guard case .present(let back) = try store.get(digest) else { Issue.record("not present"); return }
        #expect(back == bytes)
        #expect(try store.all() == [digest])
        // No temporary is left beside it.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/sha256/" + digest.hex.prefix(2))
        #expect(names == [String(digest.hex.dropFirst(2))])
        if case .missing = try store.get(SHA256.hash([1, 2, 3])) {} else { Issue.record("a missing blob is not missing") }
    }

    @Test func anIntactBlobIsNeverRewritten() throws {
        let dir = Dir()
        let store = try BlobStore(path: dir.path, create: true)
        let (digest, _) = try store.put([1, 2, 3])
        let inode = try FileManager.default.attributesOfItem(atPath: dir.file(digest))[.systemFileNumber] as? Int
        #expect(try store.put([1, 2, 3]).result == .kept)
        #expect(try FileManager.default.attributesOfItem(atPath: dir.file(digest))[.systemFileNumber] as? Int == inode)
    }

    @Test func aCorruptBlobIsRefusedNamingItsFileAndRepairedByAGoodCopy() throws {
        let dir = Dir()
        let store = try BlobStore(path: dir.path, create: true)
        let bytes = [UInt8](repeating: 7, count: 1000)
        let (digest, _) = try store.put(bytes)
        var bad = bytes
        bad[500] = 8
        try FileManager.default.removeItem(atPath: dir.file(digest))
        try Data(bad).write(to: URL(fileURLWithPath: dir.file(digest)))
        do {
            _ = try store.get(digest)
            Issue.record("a corrupt blob was returned")
        } catch {
            #expect(error.exitStatus == .dataErr)
            #expect(error.description.contains(dir.file(digest)) && error.description.contains("corrupt"), "\(error)")
        }
        #expect(try store.put(bytes).result == .repaired)
        if case .present(let back) = try store.get(digest) { #expect(back == bytes) } else { Issue.record("not repaired") }
    }

    @Test func erasureTombstonesDeletesAndIsIdempotent() throws {
        let dir = Dir()
        let store = try BlobStore(path: dir.path, create: true)
        let (digest, _) = try store.put([9, 9, 9])
        let (other, _) = try store.put([8, 8])
        let txid = SHA256.hash([0])
        #expect(try store.erase(digest, by: txid))
        #expect(try !store.erase(digest, by: txid))
        #expect(!FileManager.default.fileExists(atPath: dir.file(digest)))
        if case .erased(let by) = try store.get(digest) { #expect(by == txid) } else { Issue.record("not erased") }
        // Never taken in again, from any peer.
        #expect(try store.put([9, 9, 9]).result == .erased(txid))
        #expect(!FileManager.default.fileExists(atPath: dir.file(digest)))
        #expect(try store.all() == [other])
        #expect(try store.erased() == [digest: txid])
        // A kill after the tombstone, before the unlink: the next follow finishes it.
        try Data([8, 8]).write(to: URL(fileURLWithPath: dir.path + "/sha256/" + other.hex.prefix(2) + "/.x.tmp-dead"))
        let tombstone = dir.path + "/erased/" + other.hex.prefix(2)
        try FileManager.default.createDirectory(atPath: tombstone, withIntermediateDirectories: true)
        try Data((txid.hex + "\n").utf8).write(to: URL(fileURLWithPath: tombstone + "/" + other.hex.dropFirst(2)))
        #expect(try store.follow(erasures: [digest: txid, other: txid]) == 1)
        #expect(try store.all().isEmpty)
        #expect(try store.follow(erasures: [digest: txid, other: txid]) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/sha256/" + other.hex.prefix(2)).isEmpty)
    }

    @Test func aStreamIsCheckedBlobByBlob() throws {
        let dir = Dir()
        let good = Array("blob one".utf8)
        var stream = Array("{\"sha256\":\"\(SHA256.hash(good).hex)\",\"size\":\(good.count)}\n".utf8) + good + [0x0a]
        let path = dir.path + ".stream"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(stream).write(to: URL(fileURLWithPath: path))
        let reader = try BlobStream.Reader(path: path)
        #expect(try reader.next()?.bytes == good)
        #expect(try reader.next() == nil)
        // A flipped byte, a lying size, a truncated tail: refused.
        for edit in [{ (s: inout [UInt8]) in s[s.count - 3] ^= 1 }, { s in s.removeLast(2) }] {
            var bad = stream
            edit(&bad)
            try Data(bad).write(to: URL(fileURLWithPath: path))
            #expect(throws: ToolError.self) { _ = try BlobStream.Reader(path: path).next() }
        }
        stream = Array("{\"sha256\":\"\(SHA256.hash(good).hex)\",\"size\":3}\n".utf8) + good + [0x0a]
        try Data(stream).write(to: URL(fileURLWithPath: path))
        #expect(throws: ToolError.self) { _ = try BlobStream.Reader(path: path).next() }
    }
}

@Suite struct StoredBodyTests {
    @Test func aStoredBodyOpensAsItsInlineFormAndOnlyWithItsOwnBlob() throws {
        let p = try PrivacyChain()
        let (inline, sealed) = try p.sealed(p.chain.reading(device: "bed12-hr", seq: 7, value: 72))
        let (body, blob) = try StoredBody.split(inline)
        #expect(body["sealed"] == nil && body["stored"] != nil)
        let stored = try StoredBody(parsing: body)
        #expect(stored.blob == SHA256.hash(blob) && stored.clear == sealed.clear)
        let opened = try stored.sealedBody(blob: blob)
        #expect(opened.json.canonicalBytes() == sealed.json.canonicalBytes())
        if case .opened(let view, _) = Sealing.open(opened, kid: p.clinician.kid, key: p.clinician.enc, type: .reading, signer: p.chain.gateway.publicKey) {
            #expect(view == .full)
        } else {
            Issue.record("the clinician cannot open the stored body")
        }
        // Another body's blob (right hash for that body, wrong readers or clear part) is refused.
        let (otherInline, _) = try p.sealed(p.chain.reading(device: "bed12-hr", seq: 8, value: 73))
        let (_, otherBlob) = try StoredBody.split(otherInline)
        #expect(throws: RecordError.self) { _ = try stored.sealedBody(blob: otherBlob) }
        // A blob wrapped for a reader the transaction does not name is refused.
        var members = body.objectValue ?? [:]
        var ref = members["stored"]?.objectValue ?? [:]
        ref["full"] = .array([.string(String(repeating: "ab", count: 32))])
        members["stored"] = .object(ref)
        let renamed = try StoredBody(parsing: .object(members))
        #expect(throws: RecordError.self) { _ = try renamed.sealedBody(blob: blob) }
    }

    @Test func erasureBodies() throws {
        let blob = SHA256.hash([1]).hex
        let good: JSONValue = ["blobs": [.string(blob)], "request": "letter 12", "reason": "GDPR Art. 17"]
        #expect(try ErasureRecord(parsing: good).blobs.count == 1)
        for bad: JSONValue in [
            ["blobs": [], "request": "r", "reason": "x"],
            ["blobs": [.string(blob), .string(blob)], "request": "r", "reason": "x"],
            ["blobs": [.string(blob.uppercased())], "request": "r", "reason": "x"],
            ["blobs": [.string(blob)], "request": "", "reason": "x"],
            ["blobs": [.string(blob)], "request": "r"],
            ["blobs": [.string(blob)], "request": "r", "reason": "x", "patient": "P-0001"],
            ["blobs": [.string(blob)], "request": "r", "reason": "x", "extra": 1],
        ] {
            #expect(throws: RecordError.self, "\(bad.canonicalString)") { _ = try ErasureRecord(parsing: bad) }
        }
        // Only the authority signs one.
        #expect(Role.authority.maySign.contains(.erasure))
        #expect(!Role.allCases.filter { $0 != .authority }.contains { $0.maySign.contains(.erasure) })
    }
}

/// `blobs --missing` and `--erasure-body` read every blob the chain names;
/// at 10^6 transactions parsing every reading for it took minutes.
@Suite struct BlobReferencesTests {
    static func whole(_ path: String) throws -> BlobReferences {
        var refs = BlobReferences()
        try ChainReader.forEachBlock(path: path) { (_, block, _) throws(ToolError) in refs.add(block) }
        return refs
    }

    @Test func theScanParsesOnlyWhatMayNameABlobAndFindsWhatTheWholeParseFinds() throws {
        var p = try PrivacyChain()
        var txs: [Transaction] = []
        for seq: Int64 in 1...3 {
            let (inline, _) = try p.sealed(p.chain.reading(device: "bed12-hr", seq: seq, value: 70))
            txs.append(try p.chain.signed(try StoredBody.split(inline).body))
            txs.append(try p.chain.signed(p.chain.reading(device: "bed12-hr", seq: 10 + seq)))
        }
        let image = SHA256.hash([7])
        txs.append(try p.chain.signed(FirmwareRelease(vendor: "Acme", model: "HR-9", version: "1", sha256: image, size: 1).json, type: .firmware, by: p.chain.authority))
        txs.append(try p.chain.signed(FirmwareRelease(vendor: "Acme", model: "HR-9", version: "1", sha256: image, size: 1, revoked: true).json,
                                      type: .firmware, by: p.chain.authority))
        _ = try p.chain.append(txs)
        let path = NSTemporaryDirectory() + "ehx-blobrefs-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(p.chain.blocks.flatMap(\.canonicalLine)).write(to: URL(fileURLWithPath: path))

        let fast = try BlobReferences.scan(chain: path)
        let whole = try Self.whole(path)
        #expect(fast.stored.count == 3 && fast.firmware == [image])
        #expect(fast.stored.map { "\($0.blob.hex) \($0.patient) \($0.txid.hex)" } == whole.stored.map { "\($0.blob.hex) \($0.patient) \($0.txid.hex)" })
        #expect(fast.firmware == whole.firmware)
        // Only the stored bodies and the firmware transactions are marked; the plain readings are stepped over.
        let marked = txs.map { tx in tx.leaf.withUnsafeBytes { BlobReferences.mayNameBlob($0) } }
        #expect(marked == [true, false, true, false, true, false, true, true])
        #expect(Array(#"{"type":"reading","body":{"st\u006fred":1}}"#.utf8).withUnsafeBytes { BlobReferences.mayNameBlob($0) },
                "a name spelled with an escape is marked too")

        // A damaged stored body is read whole and named, as before.
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let last = lines.count - 1
        lines[last] = lines[last].replacingOccurrences(of: "\"stored\":{", with: "\"stored\":{\"x\":1,")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ToolError.self) { try BlobReferences.scan(chain: path) }
    }
}
