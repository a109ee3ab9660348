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
                                               diagnostics: Diagnostics(tool: "test", quiet: true)) { (match) throws(ToolError) in out.append(match.bytes) }
        return (out, origin)
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
        try index.emitSQL { (line: String) throws(ToolError) in lines.append(line) }
        #expect(lines.contains("COPY txs (height, idx, txid, type, ts_ms, signed_ms, signer, device, patient, kind, byte_offset, byte_length) FROM stdin;"))
        #expect(lines.filter { $0 == "\\." }.count == 3)
        let txRows = lines.drop(while: { !$0.hasPrefix("COPY txs") }).dropFirst().prefix(while: { $0 != "\\." })
        #expect(txRows.count == 1 + 2 * 8)
        #expect(txRows.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 12 })
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
