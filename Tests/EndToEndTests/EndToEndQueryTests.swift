import EHXShared
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One mined chain shared by the read-only query tests (built once).
enum QueryFixture {
    nonisolated(unsafe) static var made: (dir: Scratch, fixture: ChainFixture)?
    static let lock = NSLock()

    static func shared() throws -> ChainFixture {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made.fixture }
        let dir = try Scratch("query-shared")
        let fixture = try ChainFixture.make(in: dir, sampleLines: 300, maxTxs: 40)
        made = (dir, fixture)
        return fixture
    }

    /// The txids of the chain's readings, in chain order (from the CSV listing).
    static func readingTxids(_ f: ChainFixture) throws -> [String] {
        try f.query(["txs", "--type", "reading", "--format", "csv"]).outLines.dropFirst().map { String($0.prefix(64)) }
    }
}

/// Python with the fhir.resources R4 model (installed by `make test-deps`).
enum FHIRPython {
    static let path: String = ProcessInfo.processInfo.environment["EHX_FHIR_PYTHONPATH"]
        ?? Package.root.appendingPathComponent(".deps/python").path

    static let available: Bool = {
        guard Tool.hasCommand("python3"),
              let r = try? Tool.shell("PYTHONPATH='\(path)' python3 -c 'import fhir.resources.bundle'", timeout: 60) else { return false }
        return r.status == 0 && !r.signaled
    }()
}

@Suite struct EndToEndQueryProofTests {
    /// block, proof, tip and headers do a little, so they read a little:
    /// block and proof stop at what they looked for, and tip and headers
    /// parse each line's head, not its transactions (ehx-verify judges them).
    @Test func lookupsReadOnlyWhatTheyNeed() throws {
        let f = try QueryFixture.shared()
        let dir = try Scratch("query-lookups")
        defer { dir.remove() }
        let lines = try f.chainLines().map { String(decoding: $0, as: UTF8.self) }
        #expect(lines.count >= 3)
        let whole = try f.query(["tip"]).out
        let headers = try f.query(["headers"]).stdout
        // A transaction of the last block damaged in place (a member renamed:
        // not a transaction any more, which only a parse of it would see).
        var last = lines[lines.count - 1]
        let sig = try #require(last.range(of: "\"sig\":\"", options: .backwards))
        last.replaceSubrange(sig, with: "\"sih\":\"")
        let damaged = dir.path("damaged.jsonl")
        try Files.write(damaged, Array((lines.dropLast().joined(separator: "\n") + "\n" + last + "\n").utf8))
        #expect(try f.query(["tip"], chain: damaged).out == whole)
        #expect(try f.query(["headers"], chain: damaged).stdout == headers)
        #expect(try Tool.run("ehx-verify", ["-q", damaged]).status == 1, "ehx-verify judges it")
        // block finds its line by each line's head: a damaged transaction in an
        // earlier block does not stop it, and only the block printed whole is
        // parsed whole (the damaged one is named, file and line).
        let lastHeight = String(lines.count - 1)
        var first = lines[1]
        let firstSig = try #require(first.range(of: "\"sig\":\""))
        first.replaceSubrange(firstSig, with: "\"sih\":\"")
        let damagedEarly = dir.path("damaged-early.jsonl")
        try Files.write(damagedEarly, Array(([lines[0], first] + lines.dropFirst(2)).map { $0 + "\n" }.joined().utf8))
        let lastBlock = try f.query(["block", lastHeight]).out
        #expect(try f.query(["block", lastHeight], chain: damagedEarly).out == lastBlock)
        #expect(try f.query(["block", lastHeight, "--hash"], chain: damaged).out == f.query(["block", lastHeight, "--hash"]).out)
        let printedWhole = try Tool.run("ehx-query", ["--chain", damaged, "block", lastHeight])
        #expect(printedWhole.status == 65 && printedWhole.err.contains("damaged.jsonl:\(lines.count):"), "\(printedWhole)")
        // proof without an index finds the block by the txids of the
        // transactions laid out as canonical ones (hashed by their layout): an
        // earlier block whose body is not canonical is never parsed, and the
        // proof is the intact chain's. A transaction whose envelope is not
        // laid out so sends its line to the whole parse, which names it.
        let lastTxid = try #require(try f.query(["txs"]).outLines.compactMap { text -> String? in
            let o = try? JSONLine.object(Data(text.utf8))
            return (o?["height"] as? Int) == lines.count - 1 ? o?["txid"] as? String : nil
        }.last)
        let bodySpaced = dir.path("body-spaced.jsonl")
        let spaced = lines[1].replacingOccurrences(of: "{\"body\":{\"", with: "{\"body\":{ \"")
        #expect(spaced != lines[1])
        try Files.write(bodySpaced, Array(([lines[0], spaced] + lines.dropFirst(2)).map { $0 + "\n" }.joined().utf8))
        #expect(try Tool.run("ehx-verify", ["-q", bodySpaced]).status == 1, "not canonical")
        let proofSpaced = try Tool.run("ehx-query", ["--chain", bodySpaced, "proof", lastTxid])
        let proofIntact = try f.query(["proof", lastTxid]).out
        #expect(proofSpaced.status == 0 && proofSpaced.out == proofIntact, "\(proofSpaced)")
        let proofEarly = try Tool.run("ehx-query", ["--chain", damagedEarly, "proof", lastTxid])
        #expect(proofEarly.status == 65 && proofEarly.err.contains("damaged-early.jsonl:2:"), "\(proofEarly)")

        // A torn last line: block 0 and a proof from an early block come before it.
        let torn = dir.path("torn.jsonl")
        try Files.write(torn, Array((lines.joined(separator: "\n") + "\n{\"hash\":").utf8))
        let block0 = try Tool.run("ehx-query", ["--chain", torn, "block", "0", "--hash"])
        #expect(block0.status == 0 && block0.out.hasPrefix(f.genesisHash), "\(block0)")
        let txid = try #require(try QueryFixture.readingTxids(f).first)
        #expect(try Tool.run("ehx-query", ["--chain", torn, "proof", txid]).status == 0)
        let tip = try Tool.run("ehx-query", ["--chain", torn, "tip"])
        #expect(tip.status == 65 && tip.err.contains(":\(lines.count + 1): truncated"), "\(tip)")
        let tornHash = try Tool.run("ehx-query", ["--chain", torn, "tip", "--hash"])
        #expect(tornHash.status == 65 && tornHash.err.contains("truncated"), "\(tornHash)")
        let empty = dir.path("empty.jsonl")
        try Files.write(empty, [])
        let emptyHash = try Tool.run("ehx-query", ["--chain", empty, "tip", "--hash"])
        #expect(emptyHash.status == 65 && emptyHash.err.contains("empty chain"), "\(emptyHash)")

        // tip --hash reads the last line alone: every line before it unreadable.
        let lastHash = try f.query(["tip", "--hash"]).out
        #expect(try JSONLine.object(whole)["hash"] as? String == lastHash.trimmingCharacters(in: .whitespacesAndNewlines))
        let garbled = dir.path("garbled.jsonl")
        try Files.write(garbled, Array((lines.dropLast().map { _ in "not a block" }.joined(separator: "\n") + "\n" + lines[lines.count - 1] + "\n").utf8))
        #expect(try f.query(["tip", "--hash"], chain: garbled).out == lastHash)
        #expect(try Tool.run("ehx-query", ["--chain", garbled, "tip"]).status == 65, "the full tip reads every line")
        let piped = try Tool.run("ehx-query", ["--chain", "-", "tip", "--hash"], stdin: .file(f.chain))
        #expect(piped.status == 0 && piped.out == lastHash, "stdin is read from the start")

        // blocks --since looks from the end back: lines before the block asked
        // for are never read, and what follows it comes out byte for byte.
        let second = try #require(lines[1].range(of: #""hash":""#)).upperBound
        let secondHash = String(lines[1][second...].prefix(64))
        let mixed = dir.path("mixed.jsonl")
        try Files.write(mixed, Array((["not a block", lines[1]] + lines.dropFirst(2) + [""]).joined(separator: "\n").utf8))
        let after = try f.query(["blocks", "--since", secondHash], chain: mixed).stdout
        #expect(after == Data((lines.dropFirst(2).joined(separator: "\n") + "\n").utf8))
        #expect(try f.query(["blocks", "--since", lastHash.trimmingCharacters(in: .whitespacesAndNewlines)]).stdout.isEmpty)
        let unknown = try Tool.run("ehx-query", ["--chain", f.chain, "blocks", "--since", String(repeating: "0", count: 64)])
        #expect(unknown.status == 66 && unknown.err.contains("no block"), "\(unknown)")
        let tornSince = try Tool.run("ehx-query", ["--chain", torn, "blocks", "--since", secondHash])
        #expect(tornSince.status == 65 && tornSince.err.contains(":\(lines.count + 1): truncated"), "a torn tail: walked from the start, named")
    }

    /// With a current index, a proof reads one block line: the one the
    /// index points to (here, lines before it are damaged and not read).
    @Test func aProofComesThroughTheIndex() throws {
        let f = try QueryFixture.shared()
        let dir = try Scratch("query-proof-index")
        defer { dir.remove() }
        let chain = dir.path("chain.jsonl")
        try Files.write(chain, try Files.bytes(f.chain))
        let txid = try #require(try QueryFixture.readingTxids(f).last)
        let scanned = try f.query(["proof", txid], chain: chain).stdout
        try ChainFixture.check(Tool.run("ehx-query", ["--chain", chain, "index", "-q"]))
        #expect(try f.query(["proof", txid], chain: chain).stdout == scanned)
        // Block 1 damaged in place, same length: the index still covers the chain.
        var lines = try Files.lines(chain).map { String(decoding: $0, as: UTF8.self) }
        let sig = try #require(lines[1].range(of: "\"sig\":\""))
        lines[1].replaceSubrange(sig, with: "\"sih\":\"")
        try Files.write(chain, Array((lines.joined(separator: "\n") + "\n").utf8))
        let indexed = try Tool.run("ehx-query", ["--chain", chain, "proof", txid])
        #expect(indexed.status == 0 && indexed.stdout == scanned, "\(indexed)")
        try FileManager.default.removeItem(atPath: chain + ".index.sqlite")
        let unindexed = try Tool.run("ehx-query", ["--chain", chain, "proof", txid])
        #expect(unindexed.status == 65 && unindexed.err.contains(":2: "), "a scan reads block 1: \(unindexed)")
    }

    @Test func proofsOfRealTransactionsCheckAgainstPinnedHeaders() throws {
        let f = try QueryFixture.shared()
        let dir = try Scratch("proof")
        defer { dir.remove() }
        let txids = try QueryFixture.readingTxids(f)
        #expect(txids.count > 100)
        let headers = dir.path("headers.jsonl")
        try Files.write(headers, f.query(["headers"]).stdout)
        let blockCount = try f.chainLines().count
        #expect(try Files.lineCount(headers) == blockCount)
        let tip = try f.tipHash()
        for txid in [txids[0], txids[txids.count / 2], txids[txids.count - 1]] {
            let proof = dir.path("\(txid.prefix(8)).json")
            try Files.write(proof, f.query(["proof", txid]).stdout)
            let object = try JSONLine.object(Data(try Files.bytes(proof)))
            #expect(object["txid"] as? String == txid && (object["header_hex"] as? String)?.count == 160)
            let ok = try Tool.run("ehx-verify", ["--proof", proof, "--headers", headers, "--genesis", f.genesisHash, "--expect-tip", tip])
            #expect(ok.status == 0, "\(ok)")
            #expect(ok.err.contains("valid (genesis pinned, tip pinned"))
            // A proof with nothing at or above its block to anchor it is
            // consistent, not valid: its own verdict and exit status 2.
            let unpinned = try Tool.run("ehx-verify", ["--proof", proof])
            #expect(unpinned.status == 2 && unpinned.err.contains("not anchored"), "\(unpinned)")
            let genesisOnly = try Tool.run("ehx-verify", ["--proof", proof, "--headers", headers, "--genesis", f.genesisHash])
            #expect(genesisOnly.status == 2 && genesisOnly.err.contains("not anchored"), "\(genesisOnly)")
            #expect(ok.err.contains("work "), "the verdict prints the header chain's work: \(ok)")
        }
        // Tampering: the reading's value, a path hash, the header, the pins.
        let proof = dir.path("p.json")
        try Files.write(proof, f.query(["proof", txids[5]]).stdout)
        let original = try JSONValue.parse(try Files.bytes(proof))
        let path0 = original.value(at: ["path", 0])?.stringValue ?? ""
        let flipped = String(path0.prefix(63)) + (path0.hasSuffix("0") ? "1" : "0")
        let edits: [(String, JSONValue)] = [
            ("value", original.setting(["tx", "body", "seq"], to: .number((original.value(at: ["tx", "body", "seq"])?.numberValue ?? 0) + 1))),
            ("path", original.setting(["path", 0], to: .string(flipped))),
            ("index", original.setting(["leaf_index"], to: .number((original.value(at: ["leaf_index"])?.numberValue ?? 0) + 1))),
            ("nonce", original.setting(["header", "nonce"], to: .number((original.value(at: ["header", "nonce"])?.numberValue ?? 0) + 1))),
        ]
        for (name, edited) in edits {
            let bad = dir.path("bad-\(name).json")
            try Files.write(bad, edited.canonicalBytes() + [0x0a])
            let r = try Tool.run("ehx-verify", ["--proof", bad, "--headers", headers, "--genesis", f.genesisHash])
            #expect(r.status == 1, "\(name): \(r)")
            #expect(!r.outLines.isEmpty, "\(name): a problem line on stdout")
        }
        let wrongGenesis = String(repeating: "ab", count: 32)
        #expect(try Tool.run("ehx-verify", ["--proof", proof, "--headers", headers, "--genesis", wrongGenesis]).status == 1)
        #expect(try Tool.run("ehx-verify", ["--proof", proof, "--genesis", f.genesisHash]).status == 1)
        var lines = try Files.lines(headers)
        lines.remove(at: 1)
        try Files.writeLines(dir.path("gap.jsonl"), lines)
        #expect(try Tool.run("ehx-verify", ["--proof", proof, "--headers", dir.path("gap.jsonl"), "--genesis", f.genesisHash]).status == 1)
        // Usage and unreadable input.
        #expect(try Tool.run("ehx-query", ["--chain", f.chain, "proof", "xyz"]).status == 64)
        #expect(try Tool.run("ehx-query", ["--chain", f.chain, "proof", String(repeating: "0", count: 64)]).status == 66)
        try Files.write(dir.path("junk.json"), Array("not json\n".utf8))
        #expect(try Tool.run("ehx-verify", ["--proof", dir.path("junk.json")]).status == 65)
        #expect(try Tool.run("ehx-verify", ["--proof", proof, f.chain]).status == 64)
    }
}

@Suite struct EndToEndQueryFHIRTests {
    static let script = #"""
import json, os, sys
from fhir.resources.bundle import Bundle
from fhir.resources.observation import Observation
from fhir.resources.riskassessment import RiskAssessment
b = Bundle.parse_file(sys.argv[1])
assert b.type == "collection", b.type
raw = json.load(open(sys.argv[1]))
examples = sys.argv[2]
def codes(o): return [c["code"] for c in o.get("code", {}).get("coding", []) if c.get("system") == "http://loinc.org"]
seen = set()
risks = news2 = 0
for e in raw["entry"]:
    o = e["resource"]
    if o["resourceType"] == "RiskAssessment":
        RiskAssessment.parse_obj(o)
        assert o["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] in ("low", "low-medium", "medium", "high")
        risks += 1
        continue
    Observation.parse_obj(o)
    assert o["resourceType"] == "Observation" and o["status"] == "final"
    if o["code"]["coding"][0]["code"] == "1104051000000101":
        assert o["code"]["coding"][0]["system"] == "http://snomed.info/sct" and isinstance(o["valueInteger"], int)
        news2 += 1
        continue
    assert o["identifier"][0]["system"] == "urn:ehx:txid" and o["identifier"][0]["value"] == o["id"]
    assert o["meta"]["tag"][0]["system"] == "urn:ehx:block" and len(o["meta"]["tag"][0]["code"]) == 64
    c = codes(o)
    if c: seen.add(c[0])
    if c and c[0] == "85354-9":
        assert [codes(x)[0] for x in o["component"]] == ["8480-6", "8462-4"]
# Each kind we emit carries the codes, unit and category the official R4 examples carry.
names = {"8867-4": "heart-rate", "8310-5": "body-temperature", "2708-6": "satO2", "9279-1": "respiratory-rate", "85354-9": "bloodpressure"}
checked = 0
for e in raw["entry"]:
    o = e["resource"]
    c = codes(o)
    if not c or c[0] not in names: continue
    path = os.path.join(examples, "observation-example-%s.json" % names[c[0]])
    if not os.path.exists(path): continue
    ex = json.load(open(path))
    assert set(codes(ex)) <= set(c) or set(c) <= set(codes(ex)) or c[0] in codes(ex), (c, codes(ex))
    assert ex["category"][0]["coding"][0]["code"] == o["category"][0]["coding"][0]["code"]
    assert ex["meta"]["profile"] == o["meta"]["profile"]
    if "valueQuantity" in ex:
        assert ex["valueQuantity"]["code"] == o["valueQuantity"]["code"] and ex["valueQuantity"]["system"] == o["valueQuantity"]["system"]
    checked += 1
assert risks > 0 and news2 == risks, (risks, news2)
print(len(raw["entry"]), sorted(seen), checked, risks)
"""#

    @Test(.enabled(if: FHIRPython.available))
    func bundleValidatesWithAnIndependentR4Model() throws {
        let f = try QueryFixture.shared()
        let dir = try Scratch("fhir")
        defer { dir.remove() }
        let bundle = dir.path("bundle.json")
        try Files.write(bundle, f.query(["fhir"]).stdout)
        try Files.write(dir.path("check.py"), Array(Self.script.utf8))
        let examples = Package.root.deletingLastPathComponent().appendingPathComponent("shared/fhir-examples").path
        let r = try Tool.shell("PYTHONPATH='\(FHIRPython.path)' python3 '\(dir.path("check.py"))' '\(bundle)' '\(examples)'", timeout: 120)
        #expect(r.status == 0, "\(r)")
        let words = r.out.split(separator: " ")
        #expect((Int(words.first ?? "") ?? 0) > 100, "\(r.out)")
        #expect(r.out.contains("8867-4") && r.out.contains("2708-6"), "\(r.out)")
    }

    @Test func bundleShapeAndFilters() throws {
        let f = try QueryFixture.shared()
        let all = try JSONLine.object(f.query(["fhir"]).stdout)
        #expect(all["resourceType"] as? String == "Bundle" && all["type"] as? String == "collection")
        let entries = all["entry"] as? [[String: Any]] ?? []
        let one = try JSONLine.object(f.query(["fhir", "--patient", "P-0002"]).stdout)
        let some = one["entry"] as? [[String: Any]] ?? []
        #expect(!some.isEmpty && some.count < entries.count)
        #expect(some.contains { ($0["resource"] as? [String: Any])?["resourceType"] as? String == "RiskAssessment" })
        for e in some {
            let subject = (e["resource"] as? [String: Any])?["subject"] as? [String: Any]
            #expect(subject?["reference"] as? String == "Patient/P-0002")
        }
        let none = try JSONLine.object(f.query(["fhir", "--patient", "nobody"]).stdout)
        #expect(none["entry"] == nil && none["type"] as? String == "collection")
        #expect(try Tool.run("ehx-query", ["--chain", f.chain, "fhir", "--since", "yesterday"]).status == 64)
    }
}

@Suite struct EndToEndQueryIndexTests {
    @Test func indexAnswersLikeAScanAndSaysWhenStale() throws {
        let dir = try Scratch("index")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 200, maxTxs: 30, mine: false)
        let lines = try Files.lines(f.txs)
        try Files.writeLines(dir.path("a.jsonl"), Array(lines.prefix(120)))
        try Files.writeLines(dir.path("b.jsonl"), Array(lines.dropFirst(120)))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "30", "-q", dir.path("a.jsonl")]))
        let db = dir.path("idx.sqlite")
        let built = try JSONLine.object(f.query(["index", "--db", db, "-q"]).stdout)
        #expect((built["transactions"] as? Int ?? 0) > 120)
        let filters: [[String]] = [[], ["--patient", "P-0002"], ["--type", "alert"], ["--device", "bed12-mon", "--since", "2026-11-26T08:05:00Z"],
                                   ["--alerts", "--patient", "P-0001"], ["--until", "2026-11-26T08:03:00Z"]]
        for filter in filters {
            let indexed = try f.query(["txs", "--index", db, "--format", "jsonl"] + filter)
            let scanned = try f.query(["txs", "--no-index", "--format", "jsonl"] + filter)
            #expect(indexed.stdout == scanned.stdout, "\(filter)")
            #expect(!indexed.err.contains("stale"))
        }
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "30", "-q", dir.path("b.jsonl")]))
        let stale = try f.query(["txs", "--index", db, "--patient", "P-0002", "--format", "jsonl"])
        #expect(stale.err.contains("stale"), "\(stale)")
        #expect(stale.stdout == (try f.query(["txs", "--no-index", "--patient", "P-0002", "--format", "jsonl"]).stdout))
        let updated = try JSONLine.object(f.query(["index", "--db", db, "-q"]).stdout)
        #expect((updated["blocks"] as? Int ?? 0) >= 1 && updated["rebuilt"] as? Bool == false)
        let fresh = try f.query(["txs", "--index", db, "--patient", "P-0002", "--format", "jsonl"])
        #expect(!fresh.err.contains("stale") && fresh.stdout == stale.stdout)
        let sql = try f.query(["index", "--db", db, "--emit-sql"]).out
        #expect(sql.contains("CREATE TABLE txs (") && sql.contains("COPY txs (") && sql.contains("\n\\.\n"))
        // The default index lives beside the chain.
        _ = try f.query(["index", "-q"])
        #expect(FileManager.default.fileExists(atPath: f.chain + ".index.sqlite"))
        // CSV and table listings.
        let csv = try f.query(["txs", "--patient", "P-0002", "--format", "csv"]).outLines
        #expect(csv.first == "txid,type,ts,signer,device,patient,kind,value,unit" && csv.count == fresh.outLines.count + 1)
        let table = try f.query(["txs", "--type", "reading", "--format", "table"]).outLines
        #expect(table.first?.hasPrefix("txid") == true && table.count > 100)
        #expect(try Tool.run("ehx-query", ["--chain", f.chain, "txs", "--format", "xml"]).status == 64)
        #expect(try Tool.run("ehx-query", ["--chain", f.chain, "txs", "--alerts", "--type", "reading"]).status == 64)
    }
}

@Suite struct EndToEndQueryFollowTests {
    @Test func followSeesBlocksAppendedByAConcurrentMiner() throws {
        let dir = try Scratch("follow")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 160, maxTxs: 20, mine: false)
        let lines = try Files.lines(f.txs)
        try Files.writeLines(dir.path("a.jsonl"), Array(lines.prefix(60)))
        try Files.writeLines(dir.path("b.jsonl"), Array(lines.dropFirst(60)))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "20", "-q", dir.path("a.jsonl")]))
        let out = dir.path("follow.out")
        let follower = try Tool.start("/bin/sh", ["-c", "exec ehx-query --chain '\(f.chain)' txs --follow --type reading --format jsonl > '\(out)'"])
        func count() -> Int { (try? Files.lineCount(out)) ?? 0 }
        let readings = lines.filter { String(decoding: $0, as: UTF8.self).contains(#""type":"reading""#) }.count
        let firstHalf = try Files.lines(dir.path("a.jsonl")).filter { String(decoding: $0, as: UTF8.self).contains(#""type":"reading""#) }.count
        var waited = 0
        while count() < firstHalf && waited < 100 { usleep(100_000); waited += 1 }
        #expect(count() == firstHalf)
        // A torn tail (a killed append) must not be read; the miner cuts it.
        try Files.append(f.chain, Array(#"{"hash":"00"#.utf8))
        usleep(400_000)
        #expect(count() == firstHalf)
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, "--max-txs", "20", "-q", dir.path("b.jsonl")]))
        waited = 0
        while count() < readings && waited < 100 { usleep(100_000); waited += 1 }
        follower.kill(SIGTERM)
        let result = follower.wait(timeout: 10)
        #expect(!result.signaled && result.status == 0, "\(result)")
        let printed = try Files.lines(out)
        #expect(printed.count == readings)
        #expect(printed == (try f.query(["txs", "--type", "reading", "--format", "jsonl", "--no-index"]).stdout).split(separator: 0x0a).map(Array.init))
    }
}

@Suite struct EndToEndQueryFirmwareTests {
    @Test func firmwareAcceptAndReject() throws {
        let dir = try Scratch("firmware")
        defer { dir.remove() }
        let p = dir.path
        for role in ["authority", "miner", "manufacturer", "gateway"] {
            try ChainFixture.check(Tool.run("ehx-keygen", ["key", "--role", role, "-o", p(role)]))
        }
        try ChainFixture.check(Tool.run("ehx-keygen", ["genesis", "--authority", p("authority.key"), "--bits", "207fffff",
                                                       "--grant", "miner=" + p("miner.pub"), "--grant", "manufacturer=" + p("manufacturer.pub"),
                                                       "--grant", "gateway=" + p("gateway.pub"), "-o", p("chain.jsonl")]))
        let chain = p("chain.jsonl")
        for (name, size) in [("v1.bin", 4000), ("v2.bin", 9000), ("bad.bin", 300), ("rogue.bin", 500)] {
            try Files.write(p(name), (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ name.count) })
        }
        func body(_ file: String, _ version: String, _ extra: [String] = []) throws -> Data {
            try ChainFixture.check(Tool.run("ehx-keygen", ["firmware", p(file), "--vendor", "Acme", "--model", "HR-9", "--version", version] + extra)).stdout
        }
        let v1 = try body("v1.bin", "1.0", ["--url", "https://acme.example/hr9/1.0"])
        let fields = try JSONLine.object(v1)
        #expect(fields["size"] as? Int == 4000 && (fields["sha256"] as? String)?.count == 64 && fields["url"] != nil)
        func publish(_ data: Data) throws {
            let signed = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "firmware", "--key", p("manufacturer.key")], stdin: .data(data)))
            try ChainFixture.check(Tool.run("ehx-mine", ["--chain", chain, "--key", p("miner.key"), "-q"], stdin: .data(signed.stdout)))
        }
        try publish(v1)
        try publish(try body("v2.bin", "2.0"))
        try publish(try body("bad.bin", "2.1"))
        try publish(try body("bad.bin", "2.1", ["--revoke"]))
        // A release signed by the gateway, mined by a forger holding the miner key.
        let rogueBody = try JSONValue.parse([UInt8](try body("rogue.bin", "3.0")))
        let gateway = try KeyFile.readPrivateKey(path: p("gateway.key"), passphrase: nil)
        _ = try Forge.appendBlock(to: chain, minerKey: p("miner.key"), transactions: [try Transaction.sign(type: .firmware, body: rogueBody, key: gateway)])

        func firmware(_ args: [String]) throws -> ToolResult { try Tool.run("ehx-query", ["--chain", chain, "firmware"] + args) }
        let latest = try firmware(["--model", "HR-9"])
        let latestVersion = try JSONLine.object(latest.stdout)["version"] as? String
        #expect(latest.status == 0 && latestVersion == "2.0", "\(latest)")
        let ok = try firmware(["--model", "HR-9", "--check", p("v1.bin")])
        #expect(ok.status == 0, "\(ok)")
        let cases: [([String], String)] = [
            (["--model", "XX-1", "--check", p("v1.bin")], "unknown model"),
            (["--model", "HR-9", "--check", p("chain.jsonl")], "not a registered release"),
            (["--model", "HR-9", "--check", p("bad.bin")], "revoked"),
            (["--model", "HR-9", "--check", p("rogue.bin")], "role"),
        ]
        for (args, reason) in cases {
            let r = try firmware(args)
            #expect(r.status == 1 && r.err.contains(reason), "\(args): \(r)")
            #expect(r.errLines.count == 1)
        }
        #expect(try firmware(["--model", "HR-9", "--check", p("missing.bin")]).status == 66)
        #expect(try firmware(["--model", "HR-9", "--all"]).outLines.count == 4)
        #expect(try firmware(["--model", "HR-9", "--check", p("v1.bin"), "--genesis", String(repeating: "0", count: 64)]).status == 1)
        #expect(try Tool.run("ehx-keygen", ["firmware", p("missing.bin"), "--vendor", "A", "--model", "M", "--version", "1"]).status == 66)
    }
}
