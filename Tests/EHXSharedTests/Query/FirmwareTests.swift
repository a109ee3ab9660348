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
