import Foundation
import Testing
@testable import EHXShared

/// RFC 8785 reference vectors from ../shared/vectors/jcs (cyberphone's
/// test data); each test skips when its file is not there.
@Suite struct JSONJCSVectorTests {
    static let names = ["arrays", "french", "structures", "unicode", "values", "weird"]

    @Test(arguments: names)
    func inputCanonicalizesToOutputByteExact(name: String) throws {
        guard let input = SharedFiles.data("vectors/jcs/input/\(name).json"),
              let expected = SharedFiles.data("vectors/jcs/output/\(name).json") else { return }
        let value = try JSONValue.parse([UInt8](input))
        let actual = value.canonicalBytes()
        #expect(actual == [UInt8](expected), "\(name): \(String(decoding: actual, as: UTF8.self))")
    }

    @Test(arguments: names)
    func canonicalOutputIsAFixedPoint(name: String) throws {
        guard let expected = SharedFiles.data("vectors/jcs/output/\(name).json") else { return }
        #expect(try JSONValue.parse([UInt8](expected)).canonicalBytes() == [UInt8](expected))
    }

    @Test(arguments: ["es6testfile_first1000.txt", "es6testfile_random_lines2169-2668.txt"])
    func numberSerializationMatchesES6(file: String) {
        guard let data = SharedFiles.data("vectors/jcs/numbers/\(file)") else { return }
        var checked = 0
        var failures: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",", maxSplits: 1)
            guard fields.count == 2, let bits = UInt64(fields[0], radix: 16) else {
                Issue.record("malformed vector line: \(line)")
                continue
            }
            let value = Double(bitPattern: bits)
            guard value.isFinite else { continue }
            checked += 1
            let actual = JCS.serialize(number: value)
            if actual != fields[1] { failures.append("\(fields[0]): got \(actual), want \(fields[1])") }
        }
        #expect(checked > 0)
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(5))")
    }
}
