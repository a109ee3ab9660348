extension JSONValue {
    /// RFC 8785 canonical form: the only bytes ehx ever signs or hashes.
    public func canonicalBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendCanonical(to: &out)
        return out
    }

    public var canonicalString: String {
        String(decoding: canonicalBytes(), as: UTF8.self)
    }

    /// The canonical bytes of the object `members` and, from the same pass,
    /// those of the object without member `omitted` (what a MAC or a
    /// signature covers), plus where `omitted`'s value lies in the first.
    /// Equal to canonicalizing both objects separately, at the cost of one.
    static func canonicalObject(_ members: [String: JSONValue], omitting omitted: String)
        -> (full: [UInt8], without: [UInt8], omittedValue: Range<Int>?)
    {
        let forms = canonicalObject(members, omitting: omitted, locating: nil)
        return (forms.full, forms.without, forms.omittedValue)
    }

    /// `canonicalObject(_:omitting:)`, and where the value of member
    /// `located` lies in `without` (nil: no such member, or it is the
    /// omitted one): a transaction's body is hashed from its bytes there
    /// instead of being serialized a second time.
    static func canonicalObject(_ members: [String: JSONValue], omitting omitted: String, locating located: String?)
        -> (full: [UInt8], without: [UInt8], omittedValue: Range<Int>?, locatedValue: Range<Int>?)
    {
        var full: [UInt8] = []
        full.reserveCapacity(256)
        full.append(UInt8(ascii: "{"))
        var cut: Range<Int>?
        var value: Range<Int>?
        var found: Range<Int>?
        let sorted = sortedMembers(members)
        for (index, member) in sorted.enumerated() {
            if index > 0 { full.append(UInt8(ascii: ",")) }
            let start = full.count
            Self.appendString(member.key, to: &full)
            full.append(UInt8(ascii: ":"))
            let valueStart = full.count
            member.value.appendCanonical(to: &full)
            if let located, member.key == located, member.key != omitted {
                found = valueStart..<full.count
            }
            if member.key == omitted {
                value = valueStart..<full.count
                // Take one separating comma with the member: the one before
                // it, or after it when it comes first.
                cut = index > 0 ? (start - 1)..<full.count
                    : sorted.count > 1 ? start..<(full.count + 1) : start..<full.count
            }
        }
        full.append(UInt8(ascii: "}"))
        guard let cut else { return (full, full, nil, found) }
        var without: [UInt8] = []
        without.reserveCapacity(full.count - cut.count)
        without.append(contentsOf: full[..<cut.lowerBound])
        without.append(contentsOf: full[cut.upperBound...])
        // Members after the cut moved back by its length.
        let shifted = found.map { $0.lowerBound >= cut.upperBound ? ($0.lowerBound - cut.count)..<($0.upperBound - cut.count) : $0 }
        return (full, without, value, shifted)
    }

    func appendCanonical(to out: inout [UInt8]) {
        switch self {
        case .null:
            out.append(contentsOf: Self.nullBytes)
        case .bool(let value):
            out.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        case .number(let value):
            JCS.appendNumber(value, to: &out)
        case .string(let value):
            Self.appendString(value, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.appendCanonical(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in Self.sortedMembers(members) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                Self.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.appendCanonical(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The members in RFC 8785 order (UTF-16 code units of the keys). When
    /// every key is ASCII, UTF-16 order is plain byte order, which String's
    /// `<` gives on ASCII (a memcmp); other keys take `JCS.keyPrecedes`.
    static func sortedMembers(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        for key in members.keys where !key.utf8.allSatisfy({ $0 < 0x80 }) {
            return members.sorted(by: { JCS.keyPrecedes($0.key, $1.key) })
        }
        return members.sorted(by: { $0.key < $1.key })
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    /// `value` as a JSON string, as `OutputSpan.appendJSONString` writes it.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { utf8 in
            out.append(addingCapacity: OutputSpan<UInt8>.jsonStringBound(utf8.count)) { $0.appendJSONString(utf8) }
        }
    }
}
