import EHXShared
import EHXTestSupport
import Foundation
import Testing

/// `ehx-query report` and `ehx-verify --report` run as a user would, on real
/// chains; the pages are parsed with scripts/html-check.py.
@Suite(.enabled(if: HTMLCheck.available, "python3 with html.parser is needed to parse the pages"))
struct EndToEndReport {
    static let chartKinds = ["heart_rate", "temperature", "spo2", "resp_rate", "blood_pressure", "emg"]

    /// Reading and alert bodies of `patient` with `since <= ts < until`, as ehx-ingest wrote them.
    static func expected(_ f: ChainFixture, patient: String, since: String? = nil, until: String? = nil) throws -> (readings: [String: Int], alerts: Int) {
        func inRange(_ o: [String: Any]) -> Bool {
            guard o["patient"] as? String == patient, let ts = o["ts"] as? String else { return false }
            return (since.map { ts >= $0 } ?? true) && (until.map { ts < $0 } ?? true)
        }
        var readings: [String: Int] = [:]
        for line in try ChainFixture.readingLines(f.accepted) {
            let o = try JSONLine.object(Data(line))
            if inRange(o), let kind = o["kind"] as? String { readings[kind, default: 0] += 1 }
        }
        let alerts = try Files.jsonObjects(f.alerts).filter(inRange).count
        return (readings, alerts)
    }

    static func checkPage(_ path: String, readings: [String: Int], alerts: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> ParsedHTML {
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(HTMLCheck.selfContainedProblems(html).isEmpty, "\(HTMLCheck.selfContainedProblems(html))", sourceLocation: sourceLocation)
        let page = try HTMLCheck.parse(file: path)
        for kind in chartKinds {
            let series = page.all("g", class: "series", where: "data-kind", is: kind)
            let n = readings[kind] ?? 0
            // No empty EMG chart for a patient without EMG.
            if kind == "emg", n == 0 {
                #expect(series.isEmpty, sourceLocation: sourceLocation)
                continue
            }
            #expect(series.count == 1, "\(kind)", sourceLocation: sourceLocation)
            #expect(series.first?.attrs["data-readings"] == String(n), "\(kind): \(series.first?.attrs ?? [:]) vs \(n)", sourceLocation: sourceLocation)
            // Few readings: one vertex per reading on the chart's line.
            #expect(series.first?.attrs["data-points"] == String(n), "\(kind)", sourceLocation: sourceLocation)
        }
        #expect(page.all("circle", class: "alert-marker").count == alerts, sourceLocation: sourceLocation)
        #expect(page.all("tr", class: "alert-row").count == alerts, sourceLocation: sourceLocation)
        return page
    }

    @Test func patientPageMatchesTheChainAndItsRange() throws {
        let dir = try Scratch("report-plain")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 600)
        let all = try Self.expected(f, patient: "P-0001")
        #expect((all.readings["heart_rate"] ?? 0) > 10 && all.alerts > 0, "the sample has readings and alerts for P-0001")
        let out = dir.path("p1.html")
        let made = try Tool.run("ehx-query", ["--chain", f.chain, "report", "--patient", "P-0001", "-o", out])
        #expect(made.status == 0, "\(made)")
        #expect(made.stdout.isEmpty)
        _ = try Self.checkPage(out, readings: all.readings, alerts: all.alerts)
        // The footer names the tip and the command that verifies it, and that command passes.
        let html = try String(contentsOfFile: out, encoding: .utf8)
        let tip = try f.tipHash()
        #expect(html.contains("ehx-verify --genesis \(f.genesisHash) --expect-tip \(tip) \(f.chain)"))
        let verified = try Tool.run("ehx-verify", ["--genesis", f.genesisHash, "--expect-tip", tip, f.chain])
        #expect(verified.status == 0, "\(verified)")

        // A sub-range: only what lies in [since, until).
        let (since, until) = ("2026-11-26T08:10:00.000Z", "2026-11-26T08:20:00.000Z")
        let part = try Self.expected(f, patient: "P-0001", since: since, until: until)
        let ranged = dir.path("p1-range.html")
        let r = try Tool.run("ehx-query", ["--chain", f.chain, "report", "--patient", "P-0001", "--since", since, "--until", until, "-o", ranged])
        #expect(r.status == 0, "\(r)")
        _ = try Self.checkPage(ranged, readings: part.readings, alerts: part.alerts)
        #expect(part.readings.values.reduce(0, +) < all.readings.values.reduce(0, +))

        // Nobody by that name: exit 66 and no page.
        let none = try Tool.run("ehx-query", ["--chain", f.chain, "report", "--patient", "P-9999", "-o", dir.path("none.html")])
        #expect(none.status == 66, "\(none)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("none.html")))
    }

    @Test func sealedReadingsAppearOnlyWhenTheKeyOpensThem() throws {
        let dir = try Scratch("report-sealed")
        defer { dir.remove() }
        let p = try PrivacyFixture.make(in: dir, sampleLines: 120)
        let f = p.base
        let patient = "P-0001"
        let sealedOnly = try Self.expected(f, patient: patient)
        let n = sealedOnly.readings.values.reduce(0, +)
        #expect(n > 0)

        // Only sealed records on the chain: without a key, or with one that opens none, no page.
        for extra in [[], ["--key", p.key("outsider")], ["--key", p.key("auditor")]] {
            let r = try Tool.run("ehx-query", ["--chain", p.chain, "report", "--patient", patient, "-o", dir.path("x.html")] + extra)
            #expect(r.status == 66 || r.status == 77, "\(extra): \(r)")
            #expect(!FileManager.default.fileExists(atPath: dir.path("x.html")))
        }
        let clinician = dir.path("clinician.html")
        let c = try Tool.run("ehx-query", ["--chain", p.chain, "report", "--patient", patient, "--key", p.key("clinician"), "-o", clinician])
        #expect(c.status == 0, "\(c)")
        _ = try Self.checkPage(clinician, readings: sealedOnly.readings, alerts: sealedOnly.alerts)

        // The researcher's view carries only the pseudonym: --patient takes it.
        let (_, opened) = try p.read("clinician", ["--type", "reading"])
        let txid = try #require(opened.first { ($0["body"] as? [String: Any])?["patient"] as? String == patient }?["txid"] as? String)
        let (_, research) = try p.read("researcher", ["--type", "reading"])
        let pseudonym = try #require(research.first { $0["txid"] as? String == txid }.flatMap { ($0["body"] as? [String: Any])?["patient"] as? String })
        let researcher = dir.path("researcher.html")
        let r = try Tool.run("ehx-query", ["--chain", p.chain, "report", "--patient", pseudonym, "--key", p.key("researcher"), "-o", researcher])
        #expect(r.status == 0, "\(r)")
        _ = try Self.checkPage(researcher, readings: sealedOnly.readings, alerts: sealedOnly.alerts)
        #expect(!(try String(contentsOfFile: researcher, encoding: .utf8)).contains(patient), "the research view never names the patient")

        // Plain copies mined too: a key that opens nothing sees exactly the plain ones, the clinician both.
        // They name device ids, which the gateway is first bound to (rules 2; the fixture bound pseudonyms).
        let bind = try ChainFixture.check(Tool.run("ehx-keygen", ["grant", "--role", "gateway", "--key", f.gatewayPub, "--psk", f.psk]))
        let bindTx = try ChainFixture.check(Tool.run("ehx-sign", ["--type", "key", "--key", f.authorityKey, "-q"], stdin: .data(bind.stdout)))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", p.chain, "--key", f.minerKey, "-q"], stdin: .data(bindTx.stdout)))
        try ChainFixture.check(Tool.run("ehx-mine", ["--chain", p.chain, "--key", f.minerKey, "--max-txs", "100", "-q", f.txs]))
        let outsider = dir.path("outsider.html")
        let o = try Tool.run("ehx-query", ["--chain", p.chain, "report", "--patient", patient, "--key", p.key("outsider"), "-o", outsider])
        #expect(o.status == 0, "\(o)")
        _ = try Self.checkPage(outsider, readings: sealedOnly.readings, alerts: sealedOnly.alerts)
        let both = dir.path("both.html")
        let b = try Tool.run("ehx-query", ["--chain", p.chain, "report", "--patient", patient, "--key", p.key("clinician"), "-o", both])
        #expect(b.status == 0, "\(b)")
        _ = try Self.checkPage(both, readings: sealedOnly.readings.mapValues { $0 * 2 }, alerts: sealedOnly.alerts * 2)
    }

    @Test func auditPageListsExactlyTheProblemsOfJSON() throws {
        let dir = try Scratch("report-audit")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir)
        var lines = try f.chainLines()
        try ChainFixture.editBlock(&lines, 2) { block in
            guard case .array(let txs)? = block.value(at: ["txs"]),
                  let i = txs.indices.first(where: { txs[$0].value(at: ["body", "value"])?.numberValue != nil }),
                  let value = txs[i].value(at: ["body", "value"])?.numberValue else { throw TestFailure("no numeric reading in block 2") }
            return block.setting(["txs", .index(i), "body", "value"], to: .number(value + 1))
        }
        try ChainFixture.editBlock(&lines, 3) { $0.setting(["header", "nonce"], to: .number(7)) }
        let tampered = dir.path("tampered.jsonl")
        try Files.write(tampered, lines.flatMap { $0 + [0x0a] })

        let json = try Tool.run("ehx-verify", ["--genesis", f.genesisHash, "--json", tampered])
        #expect(json.status == 1, "\(json)")
        let objects = try json.outLines.map { try JSONLine.object($0) }
        let problems = objects.filter { $0["rule"] != nil }
        #expect(problems.count >= 2)
        func key(_ o: [String: Any]) -> String {
            "\(o["file"] ?? ""):\((o["line"] as? NSNumber)?.intValue ?? -1):\((o["height"] as? NSNumber)?.intValue ?? -1):\(o["rule"] ?? ""):\(o["txid"] ?? "")"
        }
        let page = dir.path("audit.html")
        let html = try Tool.run("ehx-verify", ["--genesis", f.genesisHash, "--report", page, tampered])
        #expect(html.status == json.status, "\(html)")
        let parsed = try HTMLCheck.parse(file: page)
        let rows = parsed.all("tr", class: "problem").map { r in
            "\(r.attrs["data-file"] ?? ""):\(r.attrs["data-line"] ?? ""):\(r.attrs["data-height"] ?? ""):\(r.attrs["data-rule"] ?? ""):\(r.attrs["data-txid"] ?? "")"
        }
        #expect(rows == problems.map(key))
        #expect(parsed.all("p", class: "verdict").first?.attrs["data-verdict"] == "invalid")
        let text = try String(contentsOfFile: page, encoding: .utf8)
        #expect(HTMLCheck.selfContainedProblems(text).isEmpty)
        let verdict = try #require(objects.last)
        #expect(text.contains("Problems (\((verdict["problems"] as? NSNumber)?.intValue ?? -1))"))

        // The intact chain: no problem rows, the verdict "valid", the block chart one dot per block.
        let ok = dir.path("ok.html")
        let good = try Tool.run("ehx-verify", ["--genesis", f.genesisHash, "--report", ok, f.chain])
        #expect(good.status == 0, "\(good)")
        let okPage = try HTMLCheck.parse(file: ok)
        #expect(okPage.all("tr", class: "problem").isEmpty)
        #expect(okPage.all("p", class: "verdict").first?.attrs["data-verdict"] == "valid")
        #expect(okPage.all("circle", class: "block-dot").count == 2 * (try f.chainLines().count))
    }

    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Both pages rendered headless: a picture with something on it.
    @Test(.enabled(if: chromium != nil, "chromium is not installed"))
    func pagesRenderInChromium() throws {
        let dir = try Scratch("report-render")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 600)
        try ChainFixture.check(Tool.run("ehx-query", ["--chain", f.chain, "report", "--patient", "P-0001", "-o", dir.path("p.html")]))
        try ChainFixture.check(Tool.run("ehx-verify", ["--report", dir.path("a.html"), f.chain]))
        for name in ["p", "a"] {
            let png = dir.path(name + ".png")
            let r = try Tool.run(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                  "--screenshot=" + png, "--window-size=1100,1400", "file://" + dir.path(name + ".html")],
                                 timeout: 90)
            #expect(r.status == 0, "\(r)")
            let data = try Data(contentsOf: URL(fileURLWithPath: png))
            #expect(data.starts(with: [0x89, 0x50, 0x4e, 0x47]), "a PNG")
            // A blank 1100x1400 page compresses to a few KB; charts and text do not.
            #expect(data.count > 30_000, "\(name).png is \(data.count) bytes: blank?")
        }
    }
}
