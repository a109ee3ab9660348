import EHXReport
import EHXShared
import EHXTestSupport
import Foundation
import Testing

@Suite(.enabled(if: HTMLCheck.available, "python3 with html.parser is needed to parse the page"))
struct ReportAuditPageTests {
    @Test func problemsComeFirstAndCarryFileLineBlockRule() throws {
        let page = AuditPage(file: "chain.jsonl")
        page.add(AuditReport(line: 3, height: 2, problem: ChainProblem(.merkle, "merkle root <differs> & \"so\"")))
        page.add(AuditReport(line: 5, height: 4, problem: ChainProblem(.pin, "tip is not the expected one")))
        page.verdict = ["verdict": "invalid", "problems": 2, "blocks": 5, "transactions": 9, "tip": "00ab",
                        "genesis_pinned": true, "tip_pinned": true, "file": "chain.jsonl"]
        page.summary = ["blocks": 5, "transactions": 9, "types": ["stamp": 4, "reading": 4, "genesis": 1],
                        "signers": ["miner": 1, "gateway": 1, "authority": 1], "work": "a000", "tip": "00ab", "height": 4,
                        "first_time": "2026-11-26T10:00:00.000Z", "last_time": "2026-11-26T10:04:00.000Z"]
        page.verdictLine = "INVALID: 2 problems"
        page.command = "ehx-verify --report audit.html chain.jsonl"
        let html = page.html()
        #expect(HTMLCheck.selfContainedProblems(html).isEmpty)
        let parsed = try HTMLCheck.parse(html: html)
        let rows = parsed.all("tr", class: "problem")
        #expect(rows.map { [$0.attrs["data-line"], $0.attrs["data-height"], $0.attrs["data-rule"]] } == [["3", "2", "merkle"], ["5", "4", "pin"]])
        #expect(html.contains("merkle root &lt;differs&gt; &amp; \"so\""))
        let firstProblem = try #require(html.range(of: "class=\"problem\""))
        let summary = try #require(html.range(of: "Chain summary"))
        #expect(firstProblem.lowerBound < summary.lowerBound, "problems first")
        #expect(parsed.all("p", class: "verdict").first?.attrs["data-verdict"] == "invalid")
        #expect(html.contains("reading 4, stamp 4"))
    }
}
