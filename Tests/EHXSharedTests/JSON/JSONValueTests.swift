import Testing
@testable import EHXShared

@Suite struct JSONValueParsingTests {
    @Test(arguments: [
        ("duplicate key", #"{"a":1,"a":2}"#),
        ("overflowing number", "1e400"),
        ("negative overflow", "[-1e400]"),
        ("overflowing integer", "1" + String(repeating: "0", count: 400)),
        ("NaN", "NaN"),
        ("Infinity", "[Infinity]"),
        ("lone high surrogate", #""\ud800""#),
        ("lone low surrogate", #"["\udc00"]"#),
        ("trailing garbage", #"{"a":1}x"#),
        ("two values", "1 2"),
        ("whitespace only", "  \n"),
        ("leading zero", "01"),
        ("single quotes", "'a'"),
        ("trailing comma", "[1,]"),
        ("raw control char", "\"a\u{01}b\""),
    ])
    func rejects(label: String, text: String) {
        #expect(throws: JSONError.self, "\(label)") { try JSONValue.parse(text) }
    }

    @Test func rejectsEmptyInput() {
        #expect(throws: JSONError(message: "empty input", column: nil)) { try JSONValue.parse([UInt8]()) }
        #expect(throws: JSONError.self) { try JSONValue.parse("") }
    }

    @Test(arguments: [[UInt8]([0x22, 0xFF, 0x22]), [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONValue.parse(bytes) }
    }

    @Test func rejectsUnicodeEquivalentKeysInsteadOfDroppingOne() {
        #expect(throws: JSONError.self) { try JSONValue.parse("{\"\u{E9}\":1,\"e\u{301}\":2}") }
    }

    @Test func errorNamesAPosition() throws {
        do {
            _ = try JSONValue.parse(#"{"a":1,"a":2}"#)
            Issue.record("duplicate key accepted")
        } catch {
            #expect(error.column != nil)
            #expect(error.description.hasPrefix("invalid JSON at column "))
            #expect(error.message.contains("duplicate"))
        }
    }

    @Test func parsesEveryKind() throws {
        let value = try JSONValue.parse(#" {"n":null,"t":true,"f":false,"i":-12,"r":36.6,"s":"x\u0000y","a":[1,[]],"o":{}} "#)
        #expect(value == ["n": nil, "t": true, "f": false, "i": -12, "r": 36.6, "s": "x\u{0}y", "a": [1, []], "o": [:]])
        #expect(value["s"]?.stringValue?.utf8.count == 3)
        #expect(try JSONValue.parse("42") == 42)
        #expect(try JSONValue.parse(#""é""#) == "é")
    }

    @Test func allNumbersAreDoubles() throws {
        #expect(try JSONValue.parse("9007199254740993") == .number(9_007_199_254_740_992))
        #expect(try JSONValue.parse("-0").numberValue?.sign == .minus)
        #expect(try JSONValue.parse("1e-400") == 0)
    }

    @Test func nestingUpToJanssonsLimitRoundTrips() throws {
        let text = String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)
        #expect(try JSONValue.parse(text).canonicalString == text)
        let tooDeep = String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000)
        #expect(throws: JSONError.self) { try JSONValue.parse(tooDeep) }
    }

    /// jansson 2.14 refuses NUL in member names even with JSON_ALLOW_NUL;
    /// the point is that it fails cleanly rather than truncating the name.
    @Test func nulInMemberNameIsRejectedNotTruncated() {
        #expect(throws: JSONError.self) { try JSONValue.parse(#"{"a\u0000b":1}"#) }
    }

    @Test func acceptsTrailingNewline() throws {
        #expect(try JSONValue.parse("{\"a\":1}\n") == ["a": 1])
    }
}

@Suite struct JSONValueCanonicalTests {
    @Test func membersSortByUTF16CodeUnitsNotCodePoints() {
        // U+10000 is D800 DC00 in UTF-16, so it precedes U+FFFF there even
        // though it follows it by code point (and in UTF-8).
        let value: JSONValue = ["\u{FFFF}": 1, "\u{10000}": 2, "\u{E000}": 3, "\u{D7FF}": 4, "a": 5]
        #expect(value.canonicalString == "{\"a\":5,\"\u{D7FF}\":4,\"\u{10000}\":2,\"\u{E000}\":3,\"\u{FFFF}\":1}")
    }

    @Test func keyOrderHandlesPrefixesAndSharedLeadBytes() {
        let value: JSONValue = ["ab": 1, "a": 2, "": 3, "\u{E9}": 4, "\u{E8}": 5, "\u{1F600}": 6, "\u{1F5FF}": 7]
        #expect(value.canonicalString == "{\"\":3,\"a\":2,\"ab\":1,\"\u{E8}\":5,\"\u{E9}\":4,\"\u{1F5FF}\":7,\"\u{1F600}\":6}")
    }

    @Test func equalNumbersHaveEqualBytes() throws {
        let a = try JSONValue.parse(#"{"temp":36.60,"seq":4.2e1}"#)
        let b = try JSONValue.parse(#"{ "seq" : 42, "temp" : 36.6 }"#)
        #expect(a.canonicalBytes() == b.canonicalBytes())
        #expect(a.canonicalString == #"{"seq":42,"temp":36.6}"#)
    }

    @Test func stringEscapingIsMinimal() {
        let value: JSONValue = .string("\u{8}\t\n\u{C}\r\"\\/\u{0}\u{1F}\u{7F}é€😂</")
        #expect(value.canonicalString == #""\b\t\n\f\r\"\\/\u0000\u001f"# + "\u{7F}é€😂</\"")
    }

    @Test func scalarsAndNesting() {
        let value: JSONValue = [nil, true, false, -0.0, 1e21, 1e-7, [["b": [], "a": [:]]]]
        #expect(value.canonicalString == #"[null,true,false,0,1e+21,1e-7,[{"a":{},"b":[]}]]"#)
    }
}

@Suite struct JSONValueAccessorTests {
    @Test func integerValueIsExactOrNil() {
        #expect(JSONValue.number(42).integerValue == 42)
        #expect(JSONValue.number(-0.0).integerValue == 0)
        #expect(JSONValue.number(9_007_199_254_740_992).integerValue == 9_007_199_254_740_992)
        #expect(JSONValue.number(-9_007_199_254_740_992).integerValue == -9_007_199_254_740_992)
        #expect(JSONValue.number(18_014_398_509_481_984).integerValue == nil)
        #expect(JSONValue.number(1.5).integerValue == nil)
        #expect(JSONValue.string("1").integerValue == nil)
    }

    @Test func accessorsAreNilForOtherCases() {
        let value: JSONValue = ["s": "x", "n": 1.5, "b": true, "a": [1], "o": ["k": nil]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["s"]?.numberValue == nil)
        #expect(value["n"]?.numberValue == 1.5)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?["k"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["a"]?["k"] == nil)
        #expect(value.objectValue?.count == 5)
        #expect([value, nil, true, 1, "", []].map(\.typeName) == ["object", "null", "boolean", "number", "string", "array"])
    }

    @Test func checkedNumberInitRejectsNonFinite() throws {
        #expect(throws: JSONError.self) { try JSONValue(number: .nan) }
        #expect(throws: JSONError.self) { try JSONValue(number: -.infinity) }
        #expect(try JSONValue(number: 2.5) == .number(2.5))
    }
}

@Suite struct JSONJCSNumberTests {
    // Inputs are decimal text so the compiler does not round them first.
    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("1", "1"), ("-1.5", "-1.5"), ("36.6", "36.6"),
        ("1e21", "1e+21"), ("1e20", "100000000000000000000"), ("123456789012345680000", "123456789012345680000"),
        ("1.5e-7", "1.5e-7"), ("1e-6", "0.000001"), ("1.234e-6", "0.000001234"), ("0.1", "0.1"),
        ("4.9e-324", "5e-324"), ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("9007199254740993", "9007199254740992"), ("333333333.33333329", "333333333.3333333"),
        ("1e16", "10000000000000000"), ("-1e-7", "-1e-7"), ("4.35", "4.35"), ("0.002", "0.002"),
        ("-123.456e-10", "-1.23456e-8"), ("2.5e22", "2.5e+22"),
    ])
    func es6Form(input: String, expected: String) throws {
        let value = try #require(Double(input))
        #expect(JCS.serialize(number: value) == expected)
    }

    @Test func nonFiniteDoesNotTrap() {
        #expect(JCS.serialize(number: .nan) == "NaN")
        #expect(JCS.serialize(number: .infinity) == "Infinity")
        #expect(JCS.serialize(number: -.infinity) == "-Infinity")
    }
}
