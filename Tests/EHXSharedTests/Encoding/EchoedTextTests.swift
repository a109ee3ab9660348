@testable import EHXShared
import Testing

@Suite struct EchoedTextTests {
    @Test func plainNamesReadAsBefore() {
        #expect(EchoedText.quoted("seq") == #""seq""#)
        #expect(RecordError(field: "body.value", "missing").description == #"field "body.value": missing"#)
    }

    @Test func shellAndTerminalTextIsEscaped() {
        #expect(EchoedText.quoted("$(rm -rf ~)") == #""\u0024(rm -rf ~)""#)
        #expect(EchoedText.quoted("`id`") == #""\u0060id\u0060""#)
        #expect(EchoedText.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(EchoedText.quoted("\u{1b}[2J\n") == #""\u001b[2J\u000a""#)
        #expect(EchoedText.quoted("é\u{202e}😀") == #""\u00e9\u202e\ud83d\ude00""#)
        #expect(EchoedText.line("a\nb\u{1b}c\u{9b}d é") == #"a\u000ab\u001bc\u009bd é"#)
    }
}
