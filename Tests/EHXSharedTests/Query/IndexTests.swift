import Foundation
import Testing
@testable import EHXShared

@Suite struct IndexTests {
    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ehx-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ blocks: [Block], to path: String) throws {
        try Data(blocks.flatMap(\.canonicalLine)).write(to: URL(fileURLWithPath: path))
    }

    static func collect(chain: String, filter: TxFilter, useIndex: Bool) throws -> (bytes: [[UInt8]], origin: TxSource.Origin) {
        var out: [[UInt8]] = []
        let origin = try TxSource.forEachMatch(chain: chain, filter: filter, index: nil, useIndex: useIndex,
                                               diagnostics: Diagnostics(tool: "test", quiet: true)) { (found: IndexedTransaction) throws(ToolError) in out.append(found.bytes) }
        return (out, origin.origin)
    }

    static func chain(blocks: Int) throws -> TestChain {
        var chain = try TestChain()
        var seq: Int64 = 0
        for b in 0..<blocks {
            var txs: [Transaction] = []
            for i in 0..<7 {
                seq += 1
                let minute = String(format: "%02d", (b * 7 + i) % 60)
                txs.append(try chain.signed(chain.reading(device: "bed\(i % 3)", seq: seq, value: Double(60 + i),
                                                          ts: "2026-11-26T1\(b % 10):\(minute):00.000Z")))
            }
            _ = try chain.append(txs)
        }
        return chain
    }

    @Test func indexAnswersTheSameAsAScanAndUpdatesIncrementally() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("chain.jsonl").path
        let chain = try Self.chain(blocks: 12)
        try Self.write(Array(chain.blocks.prefix(8)), to: path)
        let index = try ChainIndex(path: ChainIndex.defaultPath(chain: path), create: true)
        let first = try index.update(chain: path)
        #expect(first.blocks == 8 && first.tip?.height == 7)
        let filters = [
            try TxFilter(type: nil, device: nil, patient: nil, since: nil, until: nil),
            try TxFilter(type: "reading", device: "bed1", patient: nil, since: nil, until: nil),
            try TxFilter(type: nil, device: nil, patient: "P-1", since: "2026-11-26T11:00:00Z", until: "2026-11-26T14:00:00Z"),
            try TxFilter(type: "stamp", device: nil, patient: nil, since: nil, until: nil),
            try TxFilter(type: nil, device: nil, patient: "nobody", since: nil, until: nil),
        ]
        for f in filters {
            let scan = try Self.collect(chain: path, filter: f, useIndex: false)
            let indexed = try Self.collect(chain: path, filter: f, useIndex: true)
            #expect(indexed.origin == .index && scan.origin == .scan)
            #expect(indexed.bytes == scan.bytes)
        }
        // Appended blocks: stale until updated, then only the new ones are read.
        try Self.write(chain.blocks, to: path)
        #expect(try Self.collect(chain: path, filter: filters[1], useIndex: true).origin == .scan)
        let second = try index.update(chain: path)
        #expect(second.blocks == 5 && !second.rebuilt && second.tip?.height == 12, "\(second)")
        for f in filters {
            #expect(try Self.collect(chain: path, filter: f, useIndex: true).bytes == Self.collect(chain: path, filter: f, useIndex: false).bytes)
        }
        #expect(try index.locate(txid: chain.blocks[9].txs[3].txid.hex)?.height == 9)
        // A different chain at the same path is noticed and rebuilt.
        let other = try Self.chain(blocks: 3)
        try Self.write(other.blocks, to: path)
        #expect(try Self.collect(chain: path, filter: filters[0], useIndex: true).origin == .scan)
        let third = try index.update(chain: path)
        #expect(third.rebuilt && third.tip?.height == 3)
        #expect(try Self.collect(chain: path, filter: filters[0], useIndex: true).bytes == Self.collect(chain: path, filter: filters[0], useIndex: false).bytes)
    }

    /// `ehx-query headers` and `block` read each block where a current
    /// index puts it (the head alone for a header), and give what reading
    /// the chain from the start gives; a row that points at another block
    /// is an error naming the index, never another block's answer.
    @Test func headersAndBlocksComeThroughTheIndex() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("chain.jsonl").path
        let chain = try Self.chain(blocks: 6)
        try Self.write(chain.blocks, to: path)
        let quiet = Diagnostics(tool: "test", quiet: true)
        func headers() throws -> [JSONValue] {
            var out: [JSONValue] = []
            try BlockSource.forEachHeader(chain: path, diagnostics: quiet) { (line) throws(ToolError) in out.append(line.json) }
            return out
        }
        func block(_ height: Int64?, _ hash: SHA256Digest? = nil) throws -> (height: Int64, hash: SHA256Digest, line: [UInt8])? {
            try BlockSource.block(height: height, hash: hash, chain: path, diagnostics: quiet).map { found throws(ToolError) in
                (found.frame.height, found.frame.claimedHash, try found.block().canonicalLine)
            }
        }
        let scanned = try headers()
        #expect(scanned.count == 7 && scanned == chain.blocks.map { HeaderLine(block: $0).json })
        let index = try ChainIndex(path: ChainIndex.defaultPath(chain: path), create: true)
        _ = try index.update(chain: path)

        // Every line's transactions made unreadable in place, heads intact:
        // only a reader that goes by the index's offsets still answers.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let marker = Array(#"[{"body":"#.utf8)
        var damaged = 0
        for i in 0..<(bytes.count - marker.count) where bytes[i..<(i + marker.count)].elementsEqual(marker) {
            if damaged > 0 { bytes[i + 1] = UInt8(ascii: "(") }
            damaged += 1
        }
        #expect(damaged == 7)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try headers() == scanned)
        #expect(try block(nil, chain.blocks[0].claimedHash)?.line == chain.blocks[0].canonicalLine)
        #expect(throws: ToolError.self, "block 6's own line is damaged") { _ = try block(6) }
        try FileManager.default.moveItem(atPath: ChainIndex.defaultPath(chain: path), toPath: path + ".kept")
        #expect(throws: ToolError.self, "from the start, block 1's line stops the reader") { _ = try headers() }
        try FileManager.default.moveItem(atPath: path + ".kept", toPath: ChainIndex.defaultPath(chain: path))

        try Self.write(chain.blocks, to: path)
        for b in chain.blocks {
            let byHeight = try #require(try block(b.height)), byHash = try #require(try block(nil, b.claimedHash))
            #expect(byHeight.hash == b.claimedHash && byHash.height == b.height && byHeight.line == b.canonicalLine && byHash.line == b.canonicalLine)
        }
        #expect(try block(7) == nil && block(nil, SHA256Digest.zero) == nil)

        // Block 2's row pointing at block 3's line: refused, naming the index.
        let three = try #require(try index.blockRange(height: 3))
        try index.db.run("UPDATE blocks SET byte_offset = ?, byte_length = ? WHERE height = 2", [.integer(three.offset), .integer(three.length)])
        for attempt in [{ _ = try headers() }, { _ = try block(2) }, { _ = try block(nil, chain.blocks[2].claimedHash) }] {
            do {
                try attempt()
                Issue.record("a misplaced row was followed")
            } catch let error as ToolError {
                #expect(error.exitStatus == .dataErr && error.description.contains("puts block 2 where the chain holds block 3"), "\(error)")
            }
        }
        // Places no file holds: refused with an error, nothing allocated for them.
        for (offset, length) in [(three.offset, Int64(-1)), (Int64(-5), three.length), (three.offset, Int64(1) << 40)] {
            try index.db.run("UPDATE blocks SET byte_offset = ?, byte_length = ? WHERE height = 2", [.integer(offset), .integer(length)])
            for attempt in [{ _ = try headers() }, { _ = try block(2) }] {
                do {
                    try attempt()
                    Issue.record("a row at \(offset), \(length) was followed")
                } catch let error as ToolError {
                    #expect(error.exitStatus == .dataErr, "\(offset), \(length): \(error)")
                }
            }
        }
        // The same for a transaction's place, which txs reads.
        try index.db.run("UPDATE txs SET byte_length = -1 WHERE height = 4", [])
        let every = try TxFilter(type: nil, device: nil, patient: nil, since: nil, until: nil)
        #expect(throws: ToolError.self) { _ = try Self.collect(chain: path, filter: every, useIndex: true) }
        // Without the index, the chain read from the start.
        try FileManager.default.removeItem(atPath: ChainIndex.defaultPath(chain: path))
        #expect(try headers() == scanned && block(2)?.hash == chain.blocks[2].claimedHash)
    }

    /// The batches and the stored tip are the same code for SQLite as for
    /// PostgreSQL (PostgresIndexTests): a run that stops keeps whole batches.
    @Test func aRunThatStopsKeepsItsWholeBatchesAndTheirTip() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("chain.jsonl").path
        let chain = try Self.chain(blocks: 12)
        let stranger = try Self.chain(blocks: 10)
        try Self.write(Array(chain.blocks.prefix(9)) + [stranger.blocks[9]], to: path)
        let index = try ChainIndex(path: path + ".idx", create: true)
        #expect(throws: ToolError.self) { try index.update(chain: path, batchTransactions: 20) }
        #expect(try index.coverage()?.height == 6 && index.meta("tip_height") == "6")
        #expect(try index.db.first("SELECT count(*), max(height) FROM txs") == [.integer(1 + 6 * 8), .integer(6)])
        try Self.write(chain.blocks, to: path)
        let resumed = try index.update(chain: path, batchTransactions: 20)
        #expect(resumed.blocks == 6 && !resumed.rebuilt && resumed.tip?.height == 12)
    }

    @Test func emitSQLIsCopyText() throws {
        #expect(ChainIndex.copyField(.text("a\tb\\c\nd")) == "a\\tb\\\\c\\nd")
        #expect(ChainIndex.copyField(.null) == "\\N")
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("chain.jsonl").path
        let chain = try Self.chain(blocks: 2)
        try Self.write(chain.blocks, to: path)
        let index = try ChainIndex(path: path + ".idx", create: true)
        _ = try index.update(chain: path)
        var lines: [String] = []
        try index.emitSQL(chain: ChainCursor(path: path)) { (line: String) throws(ToolError) in lines.append(line) }
        #expect(lines.contains("COPY txs (height, idx, txid, type, ts_ms, signed_ms, signer, device, patient, kind, byte_offset, byte_length, tx) FROM stdin;"))
        #expect(lines.filter { $0 == "\\." }.count == 3)
        let txRows = lines.drop(while: { !$0.hasPrefix("COPY txs") }).dropFirst().prefix(while: { $0 != "\\." })
        #expect(txRows.count == 1 + 2 * 8)
        #expect(txRows.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 13 })
        // The tx column is the transaction's canonical bytes, as on the chain.
        let leaves = chain.blocks.flatMap { $0.txs.map { String(decoding: $0.leaf, as: UTF8.self) } }
        #expect(txRows.map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[12]) } == leaves.map { ChainIndex.copyField(.text($0)) })
    }

    @Test func listingFormats() throws {
        #expect(TxPrinter.csvField("a,b") == "\"a,b\"" && TxPrinter.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(TxPrinter.csvField("plain") == "plain")
        let chain = try TestChain()
        let bp = try chain.signed(["device": "d", "patient": "P", "seq": 1, "ts": "2026-11-26T10:00:00.000Z",
                                   "kind": "blood_pressure", "value": ["systolic": 120, "diastolic": 80], "unit": "mm[Hg]"])
        let row = TxPrinter.row(bp)
        #expect(row.count == TxPrinter.columns.count && row[7] == "120/80" && row[8] == "mm[Hg]")
        #expect(throws: ToolError.self) { try ListingFormat.resolve("xml") }
        #expect(try ListingFormat.resolve("csv") == .csv)
    }
}
