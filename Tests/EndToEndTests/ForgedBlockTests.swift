import EHXShared
import Foundation
import Testing

/// Properly mined blocks appended at the tip by someone holding the miner
/// key: the block itself is sound, so only the transaction rule it breaks
/// (role, replay) may be reported, on the appended line.
@Suite struct EndToEndForgedBlock {
    /// Control: the forging helper makes blocks the verifier accepts, so the
    /// failures below are the tampers' doing.
    @Test func honestAppendedBlockPasses() throws {
        let dir = try Scratch("forge-control")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let gateway = try KeyFile.readPrivateKey(path: f.gatewayKey, passphrase: nil)
        let body = try Forge.shifted(try Forge.readingBody(in: f.chain, height: 5), milliseconds: 60_000)
            .setting(["seq"], to: .number(1e12))
        let tx = try Transaction.sign(type: .reading, body: body, key: gateway)
        _ = try Forge.appendBlock(to: f.chain, minerKey: f.minerKey, transactions: [tx])
        let report = try f.verify()
        #expect(report.status == 0, "\(report)")
    }

    @Test func readingSignedByKeyWithoutRoleIsRefused() throws {
        let dir = try Scratch("forge-role")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let stranger = try Ed25519.PrivateKey()
        let body = try Forge.shifted(try Forge.readingBody(in: f.chain, height: 5), milliseconds: 60_000)
            .setting(["seq"], to: .number(1e12))
        let tx = try Transaction.sign(type: .reading, body: body, key: stranger)
        _ = try Forge.appendBlock(to: f.chain, minerKey: f.minerKey, transactions: [tx])
        let line = try f.chainLines().count
        let report = try f.verify()
        #expect(report.status == 1, "\(report)")
        // A key with no role is bound to no device either (rules 2).
        #expect(report.rules(onLine: line) == ["role", "device-binding"], "\(report)")
        #expect(report.problems.allSatisfy { $0.line == line && $0.text.contains("tx \(tx.txid.hex)") }, "\(report)")
    }

    @Test func replayedDeviceSeqIsRefused() throws {
        let dir = try Scratch("forge-replay")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        let gateway = try KeyFile.readPrivateKey(path: f.gatewayKey, passphrase: nil)
        // Same device and seq as a reading in block 1, a later ts: a new txid.
        let original = try Forge.readingBody(in: f.chain, height: 1)
        let tx = try Transaction.sign(type: .reading, body: try Forge.shifted(original, milliseconds: 1000), key: gateway)
        _ = try Forge.appendBlock(to: f.chain, minerKey: f.minerKey, transactions: [tx])
        let line = try f.chainLines().count
        let report = try f.verify()
        #expect(report.status == 1, "\(report)")
        #expect(report.rules(onLine: line) == ["replay"], "\(report)")
        #expect(report.problems.allSatisfy { $0.line == line }, "\(report)")
    }
}
