/// The canonical (RFC 8785) form of a transaction's envelope written
/// member by member. Its members are always exactly body, sig, signer, ts,
/// type and v, which is their JCS order, so the form is the body's
/// canonical bytes between fixed names and four strings; sorting a
/// dictionary of them for every transaction signed or verified cost more
/// than the rest of the envelope (issue 19).
enum TransactionLayout {
    struct Forms {
        /// The whole transaction: the Merkle leaf, the line ehx-sign writes.
        var full: [UInt8]
        /// Without `sig`: what the txid and the signature cover.
        var unsigned: [UInt8]
        /// The sig value, quotes included, in `full`.
        var sigValue: Range<Int>
        /// The body's bytes in `unsigned` (and, being first, in `full`).
        var bodyRange: Range<Int>
    }

    /// Both forms of the envelope `members` whose body's canonical bytes
    /// are `body`; nil unless the members are exactly the six with string
    /// sig, signer, ts and type and a `v` of 1, for the caller to take the
    /// general `JSONValue.canonicalObject` (which gives the same bytes
    /// whenever this gives any).
    static func forms(_ members: [String: JSONValue], body: [UInt8]) -> Forms? {
        guard members.count == 6 else { return nil }
        // One pass over the six instead of a hashed lookup each.
        var sig: String?, signer: String?, ts: String?, type: String?, v = false, hasBody = false
        for (key, value) in members {
            switch (key, value) {
            case ("sig", .string(let text)): sig = text
            case ("signer", .string(let text)): signer = text
            case ("ts", .string(let text)): ts = text
            case ("type", .string(let text)): type = text
            case ("v", .number(let n)): v = n == Double(Transaction.version)
            case ("body", _): hasBody = true
            default: return nil
            }
        }
        guard var sig, var signer, var ts, var type, v, hasBody else { return nil }
        return sig.withUTF8 { sig in signer.withUTF8 { signer in ts.withUTF8 { ts in type.withUTF8 { type in
            forms(body: body, sig: sig, signer: signer, ts: ts, type: type)
        } } } }
    }

    private static func forms(body: [UInt8], sig: UnsafeBufferPointer<UInt8>, signer: UnsafeBufferPointer<UInt8>,
                              ts: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>) -> Forms {
        typealias Span = OutputSpan<UInt8>
        // `{"body":` and `}` hold the body; the rest of each form follows it.
        func tail(_ span: inout Span, withSig: Bool) -> Range<Int>? {
            var sigValue: Range<Int>?
            if withSig {
                span.append(",\"sig\":")
                let start = span.count
                span.appendJSONString(sig)
                sigValue = start..<span.count
            }
            span.append(",\"signer\":")
            span.appendJSONString(signer)
            span.append(",\"ts\":")
            span.appendJSONString(ts)
            span.append(",\"type\":")
            span.appendJSONString(type)
            span.append(",\"v\":")
            span.appendInteger(Transaction.version)
            span.append(UInt8(ascii: "}"))
            return sigValue
        }
        let head = 8 // `{"body":`
        let bound = head + body.count + 64 + Span.jsonStringBound(signer.count) + Span.jsonStringBound(ts.count)
            + Span.jsonStringBound(type.count) + Span.numberBound
        var sigValue: Range<Int>?
        let full = [UInt8].written(capacity: bound + Span.jsonStringBound(sig.count)) { span in
            span.append("{\"body\":")
            body.withUnsafeBufferPointer { span.append($0) }
            sigValue = tail(&span, withSig: true)
        }
        let unsigned = [UInt8].written(capacity: bound) { span in
            span.append("{\"body\":")
            body.withUnsafeBufferPointer { span.append($0) }
            _ = tail(&span, withSig: false)
        }
        return Forms(full: full, unsigned: unsigned, sigValue: sigValue ?? 0..<0, bodyRange: head..<(head + body.count))
    }
}
