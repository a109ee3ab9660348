import Foundation
import Testing
import EHXTestSupport
@testable import EHXShared

/// The index in a real PostgreSQL server that each test starts in a
/// temporary directory (see `PostgresServer`).
@Suite(.serialized, .enabled(if: PostgresServer.binaries != nil, "\(PostgresServer.missing)"))
struct PostgresIndexTests {
    static func collect(_ chain: String, _ filter: TxFilter, index: String?, useIndex: Bool) throws -> (rows: [String], origin: TxSource.Origin) {
        var out: [String] = []
        let answer = try TxSource.forEachMatch(chain: chain, filter: filter, index: index, useIndex: useIndex,
                                               diagnostics: Diagnostics(tool: "test", quiet: true)) { (found: IndexedTransaction) throws(ToolError) in
            out.append("\(found.height)/\(found.index)/\(found.blockHash)/" + String(decoding: found.bytes, as: UTF8.self))
        }
        return (out, answer.origin)
    }

    static let filters: [TxFilter] = {
        do {
            return [
                try TxFilter(type: nil, device: nil, patient: nil, since: nil, until: nil),
                try TxFilter(type: "reading", device: "bed1", patient: nil, since: nil, until: nil),
                try TxFilter(type: nil, device: nil, patient: "P-1", since: "2026-11-26T11:00:00Z", until: "2026-11-26T14:00:00Z"),
                try TxFilter(type: "stamp", device: nil, patient: nil, since: nil, until: nil),
                try TxFilter(type: nil, device: nil, patient: "nobody", since: nil, until: nil),
            ]
        } catch { return [] }
    }()

    static func count(_ index: ChainIndex, _ sql: String) throws -> Int64 {
        try index.db.first(sql)?.first?.integer ?? -1
    }

    /// A server with an empty database "ehx", and a directory for the chain file.
    static func setUp() throws -> (server: PostgresServer, uri: String, dir: URL, chain: String) {
        let server = try PostgresServer()
        let dir = try IndexTests.tempDir()
        return (server, try server.createDatabase("ehx"), dir, dir.appendingPathComponent("chain.jsonl").path)
    }

    static func tearDown(_ server: PostgresServer, _ dir: URL) {
        server.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func answersLikeAScanWithoutTheChainAndUpdatesIncrementally() throws {
        let (server, uri, dir, path) = try Self.setUp()
        defer { Self.tearDown(server, dir) }
        let chain = try IndexTests.chain(blocks: 12)
        try IndexTests.write(Array(chain.blocks.prefix(8)), to: path)

        let index = try ChainIndex(location: IndexLocation(uri), create: true)
        let first = try index.update(chain: path)
        #expect(first.blocks == 8 && first.tip?.height == 7)
        #expect(try index.meta("tip_height") == "7" && index.meta("tip_hash") == chain.blocks[7].claimedHash.displayHex)
        for f in Self.filters {
            let scan = try Self.collect(path, f, index: nil, useIndex: false)
            let indexed = try Self.collect(path, f, index: uri, useIndex: true)
            #expect(indexed.origin == .index && scan.origin == .scan)
            #expect(indexed.rows == scan.rows)
        }
        // No chain file on this machine: PostgreSQL answers by itself.
        for f in Self.filters {
            let away = try Self.collect(dir.appendingPathComponent("absent.jsonl").path, f, index: uri, useIndex: true)
            #expect(away.rows == (try Self.collect(path, f, index: nil, useIndex: false)).rows)
        }

        // Appended blocks: only the new ones are read.
        try IndexTests.write(chain.blocks, to: path)
        let second = try index.update(chain: path)
        #expect(second.blocks == 5 && !second.rebuilt && second.tip?.height == 12, "\(second)")
        for f in Self.filters {
            #expect(try Self.collect(path, f, index: uri, useIndex: true).rows == Self.collect(path, f, index: nil, useIndex: false).rows)
        }
        #expect(try index.locate(txid: chain.blocks[9].txs[3].txid.hex)?.height == 9)
        #expect(try index.update(chain: path).blocks == 0)

        // Another chain at the path: rebuilt from scratch.
        let other = try IndexTests.chain(blocks: 3)
        try IndexTests.write(other.blocks, to: path)
        let third = try index.update(chain: path)
        #expect(third.rebuilt && third.tip?.height == 3)
        #expect(try Self.collect(path, Self.filters[0], index: uri, useIndex: true).rows == Self.collect(path, Self.filters[0], index: nil, useIndex: false).rows)
        #expect(try Self.count(index, "SELECT count(*) FROM blocks") == 4)
    }

    /// One database transaction per batch, the tip written with its rows:
    /// a run that stops halfway keeps every whole batch and nothing else.
    @Test func aRunThatStopsKeepsItsWholeBatchesAndTheirTip() throws {
        let (server, uri, dir, path) = try Self.setUp()
        defer { Self.tearDown(server, dir) }
        let chain = try IndexTests.chain(blocks: 12)
        let stranger = try IndexTests.chain(blocks: 10)
        // Block 9 does not follow block 8: the run stops there.
        try IndexTests.write(Array(chain.blocks.prefix(9)) + [stranger.blocks[9]], to: path)

        let index = try ChainIndex(location: IndexLocation(uri), create: true)
        // Batches of >= 20 transactions: blocks 0-3 (25), 4-6 (24), then 7-8 are pending when block 9 fails.
        #expect(throws: ToolError.self) { try index.update(chain: path, batchTransactions: 20) }
        #expect(try index.coverage()?.height == 6)
        #expect(try index.meta("tip_height") == "6")
        #expect(try Self.count(index, "SELECT max(height) FROM blocks") == 6)
        #expect(try Self.count(index, "SELECT count(*) FROM txs") == 1 + 6 * 8)
        #expect(try Self.count(index, "SELECT sum(tx_count)::bigint FROM blocks") == 1 + 6 * 8)

        try IndexTests.write(chain.blocks, to: path)
        let resumed = try index.update(chain: path, batchTransactions: 20)
        #expect(resumed.blocks == 6 && !resumed.rebuilt && resumed.tip?.height == 12)
        #expect(try Self.collect(path, Self.filters[0], index: uri, useIndex: true).rows == Self.collect(path, Self.filters[0], index: nil, useIndex: false).rows)
    }

    /// A query reads the tip and the rows in one snapshot while a loader
    /// commits batches; a second loader is turned away (exit 75), not run
    /// side by side.
    @Test func queriesSeeOneSnapshotAndLoadersTakeTurns() throws {
        let (server, uri, dir, path) = try Self.setUp()
        defer { Self.tearDown(server, dir) }
        let chain = try IndexTests.chain(blocks: 10)
        try IndexTests.write(Array(chain.blocks.prefix(4)), to: path)
        do {
            let loader = try ChainIndex(location: IndexLocation(uri), create: true)
            _ = try loader.update(chain: path)
            do {
                _ = try ChainIndex(location: IndexLocation(uri), create: true)
                Issue.record("a second loader was let in")
            } catch {
                #expect(error.exitStatus == .tempFail && error.description.contains("another ehx-query index"), "\(error)")
            }
        }
        try IndexTests.write(chain.blocks, to: path)
        let reader = try ChainIndex(location: IndexLocation(uri), create: false)
        func rows() throws(ToolError) -> Int {
            var n = 0
            try reader.matches(Self.filters[0], chain: nil) { (_: IndexedTransaction) throws(ToolError) in n += 1 }
            return n
        }
        let (before, counted, after, recounted) = try reader.reading { () throws(ToolError) in
            let before = try reader.tip()
            let counted = try rows()
            // The first loader's connection is gone: its lock went with it.
            let loader = try ChainIndex(location: IndexLocation(uri), create: true)
            _ = try loader.update(chain: path, batchTransactions: 8)
            return (before, counted, try reader.tip(), try rows())
        }
        #expect(before?.height == 3 && after == before && recounted == counted && counted == 1 + 3 * 8)
        #expect(try reader.tip()?.height == 10)
        #expect(try rows() == 1 + 10 * 8)
    }
}
