import Testing
@testable import EHXShared

@Suite struct RecordsTimestampTests {
    @Test func parsesAndPrintsTheOneCanonicalForm() throws {
        let t = try #require(Timestamp(rfc3339: "2026-11-26T10:00:00.123Z"))
        #expect(t.millisecondsSince1970 == 1_795_687_200_123)
        #expect(t.description == "2026-11-26T10:00:00.123Z")
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00.000Z")?.millisecondsSince1970 == 0)
        #expect(Timestamp(rfc3339: "2024-02-29T23:59:59.999Z")?.description == "2024-02-29T23:59:59.999Z")
    }

    @Test(arguments: [
        "2026-11-26T10:00:00Z", "2026-11-26T10:00:00.000", "2026-11-26T10:00:00.000+01:00",
        "2026-02-30T10:00:00.000Z", "2025-02-29T10:00:00.000Z", "9999-12-31T23:59:59.999Z",
        "2026-11-26 10:00:00.000Z", "2026-11-26T24:00:00.000Z", "", "2026-11-26T10:00:00.0000Z",
    ])
    func refusesOtherSpellings(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func roundTripsAcrossYears() {
        for ms in stride(from: Int64(0), to: 8_000_000_000_000, by: 86_399_937) {
            let t = Timestamp(millisecondsSince1970: ms)
            #expect(Timestamp(rfc3339: t.description) == t)
        }
    }

    @Test func commandLineFormsIncludeUnixSecondsAndNoMilliseconds() {
        #expect(Timestamp(argument: "1795687200")?.description == "2026-11-26T10:00:00.000Z")
        #expect(Timestamp(argument: "2026-11-26T10:00:00Z")?.description == "2026-11-26T10:00:00.000Z")
        #expect(Timestamp(argument: "yesterday") == nil)
    }
}
