import Foundation
import Testing

/// A blood pressure whose diastolic the monitor could not give, through the
/// built tools (issue 18): the device MACs it, the gateway scores its
/// systolic and alerts, it is signed, mined and verified, listed as "88/-",
/// drawn in the report, exported to FHIR with a dataAbsentReason on the
/// diastolic, and that export reads back as the same reading.
@Suite struct EndToEndSystolicOnly {
    @Test func throughEveryTool() throws {
        let dir = try Scratch("systolic-only")
        defer { dir.remove() }
        let script = """
            set -e
            for r in authority gateway miner; do ehx-keygen key --role $r -o $r > /dev/null; done
            ehx-keygen psk --device bed1 --psk devices.psk --export bed1.psk > /dev/null
            ehx-keygen genesis --authority authority.key --bits 207fffff --name t --grant gateway=gateway.pub \\
                --grant miner=miner.pub --bind gateway.pub=@devices.psk -o chain.jsonl > /dev/null
            TS=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
            printf '%s\\n' '{"device":"bed1","patient":"P-1","seq":1,"ts":"'$TS'","kind":"blood_pressure","unit":"mm[Hg]","value":{"systolic":88,"diastolic":null}}' > raw.jsonl
            ehx-sign --psk bed1.psk -q raw.jsonl > readings.jsonl
            ehx-ingest --psk devices.psk --alerts alerts.jsonl -q readings.jsonl | ehx-sign --key gateway.key -q > txs.jsonl
            ehx-mine --chain chain.jsonl --key miner.key -q < txs.jsonl > /dev/null
            ehx-verify -q chain.jsonl
            ehx-query --chain chain.jsonl txs --type reading --format csv > listing.csv
            ehx-query --chain chain.jsonl report --patient P-1 -o report.html -q
            ehx-query --chain chain.jsonl fhir > export.json
            ehx-ingest --from fhir --archive -q export.json > back.jsonl
            """
        let r = try Tool.shell(script, directory: dir.url.path, timeout: 120)
        #expect(r.status == 0, "\(r.err)")
        let alerts = try Files.jsonObjects(dir.path("alerts.jsonl"))
        let scores = (alerts.first?["news2"] as? [String: Any])?["scores"] as? [String: Any]
        #expect(alerts.count == 1 && scores?["systolic_bp"] as? Int == 3, "\(alerts)")
        #expect(try String(contentsOfFile: dir.path("listing.csv"), encoding: .utf8).contains(",88/-,"))
        #expect(try String(contentsOfFile: dir.path("report.html"), encoding: .utf8).contains("88/- mmHg"))
        let export = try String(contentsOfFile: dir.path("export.json"), encoding: .utf8)
        #expect(export.contains(#""dataAbsentReason":{"coding":[{"code":"unknown""#), "\(export.prefix(2000))")
        let back = try Files.textLines(dir.path("back.jsonl")).filter { $0.contains(#""kind":"blood_pressure""#) && !$0.contains(#""type":"alert""#) }
        #expect(back.count == 1 && back.first?.contains(#""value":{"diastolic":null,"systolic":88}"#) == true, "\(back)")
    }
}
