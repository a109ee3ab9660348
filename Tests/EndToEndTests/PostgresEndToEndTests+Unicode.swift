import EHXShared
import EHXTestSupport
import Foundation
import Testing

/// Patient ids beyond ASCII through the database, byte for byte.
extension PostgresEndToEndTests {
    /// The sample's three patients renamed: "Pätient-ü" precomposed (NFC),
    /// the same letters decomposed (NFD: another patient, as ehx compares
    /// ids by their bytes), and a CJK id with an emoji (4-byte UTF-8).
    static let unicodePatients = ["P-0001": "P\u{E4}tient-\u{FC}", "P-0002": "Pa\u{308}tient-u\u{308}", "P-0003": "\u{60A3}\u{8005}-\u{1F600}"]

    @Test func unicodePatientIdsAnswerByteForByteLikeTheChain() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try Scratch("pg-unicode")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 240, mine: false)
        var raw = try String(contentsOfFile: f.raw, encoding: .utf8)
        for (from, to) in Self.unicodePatients { raw = raw.replacingOccurrences(of: "\"patient\":\"\(from)\"", with: "\"patient\":\"\(to)\"") }
        try Files.write(f.raw, Data(raw.utf8))
        let signed = try ChainFixture.check(Tool.run("ehx-sign", ["--psk", f.psk, f.raw]), allowing: [0, 65])
        try Files.write(f.readings, signed.stdout)
        let accepted = try ChainFixture.check(Tool.run("ehx-ingest", ["--psk", f.psk, "--alerts", dir.path("alerts.jsonl"), f.readings]),
                                              allowing: [0, 65])
        try Files.write(f.accepted, accepted.stdout)
        let txs = try ChainFixture.check(Tool.run("ehx-sign", ["--key", f.gatewayKey, f.accepted]))
        try Files.write(f.txs, txs.stdout)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "40", "-q", f.txs]))

        let uri = try server.createDatabase("ehx")
        try f.query(["index", "--db", uri, "-q"])
        let stored = Set(try server.psql("ehx", "SELECT DISTINCT patient FROM txs WHERE patient IS NOT NULL").split(separator: "\n").map(String.init))
        #expect(stored == Set(Self.unicodePatients.values), "\(stored)")
        let away = dir.path("no-chain-here.jsonl")
        for patient in Self.unicodePatients.values.sorted() {
            let listing = try Self.away(dir, ["txs", "--db", uri, "--patient", patient, "--format", "jsonl"])
            let scanned = try f.query(["txs", "--no-index", "--patient", patient, "--format", "jsonl"])
            #expect(listing.stdout == scanned.stdout && listing.outLines.count > 10, "\(patient)")
            for format in ["csv", "table"] {
                #expect(try Self.away(dir, ["txs", "--db", uri, "--patient", patient, "--format", format]).stdout
                        == (try f.query(["txs", "--no-index", "--patient", patient, "--format", format])).stdout, "\(patient) \(format)")
            }
            let bundle = try Self.away(dir, ["fhir", "--db", uri, "--patient", patient])
            #expect(bundle.stdout == (try f.query(["fhir", "--no-index", "--patient", patient])).stdout, "\(patient)")
            let page = try Tool.run("ehx-query", ["--chain", away, "report", "--db", uri, "--patient", patient, "-o", dir.path("pg.html")])
            try f.query(["report", "--no-index", "--patient", patient, "-o", dir.path("chain.html")])
            #expect(page.status == 0, "\(page)")
            #expect(Self.withoutSource(try String(contentsOfFile: dir.path("pg.html"), encoding: .utf8))
                    == Self.withoutSource(try String(contentsOfFile: dir.path("chain.html"), encoding: .utf8)), "\(patient)")
        }
        // NFC and NFD stay two patients in the database too.
        let nfc = try Self.away(dir, ["txs", "--db", uri, "--patient", "P\u{E4}tient-\u{FC}", "--format", "jsonl"]).stdout
        let nfd = try Self.away(dir, ["txs", "--db", uri, "--patient", "Pa\u{308}tient-u\u{308}", "--format", "jsonl"]).stdout
        #expect(!nfc.isEmpty && !nfd.isEmpty && nfc != nfd)
        #expect(try Self.away(dir, ["txs", "--db", uri, "--format", "jsonl"]).stdout == (try f.query(["txs", "--no-index", "--format", "jsonl"])).stdout)
    }
}
