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

    private typealias Span = OutputSpan<UInt8>
    /// `{"body":`, before the body's bytes in both forms.
    private static let head = 8

    /// What follows the body in the unsigned form (and, after `sig`, in the full one).
    private static func tail(_ span: inout Span, signer: UnsafeBufferPointer<UInt8>,
                             ts: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>) {
        span.append(",\"signer\":")
        span.appendJSONString(signer)
        span.append(",\"ts\":")
        span.appendJSONString(ts)
        span.append(",\"type\":")
        span.appendJSONString(type)
        span.append(",\"v\":")
        span.appendInteger(Transaction.version)
        span.append(UInt8(ascii: "}"))
    }

    private static func bound(body: Int, signer: Int, ts: Int, type: Int) -> Int {
        head + body + 64 + Span.jsonStringBound(signer) + Span.jsonStringBound(ts) + Span.jsonStringBound(type) + Span.numberBound
    }

    /// A transaction signed: what the signer signs (the domain tag and the
    /// unsigned form, written once into one buffer, so the tag is not
    /// prepended by a copy), the signature `sign` makes over it, and the
    /// whole transaction (the leaf, the line ehx-sign writes) with `sig`
    /// spliced in between the body and `signer`, which is where JCS puts
    /// it (base64url needs no escapes). The unsigned form starts at
    /// `Transaction.signatureDomain.count` in `message`.
    struct Signed {
        let message: [UInt8]
        let signature: [UInt8]
        let leaf: [UInt8]
        /// The body's bytes in the unsigned form.
        let bodyRange: Range<Int>

        var unsigned: [UInt8] { Array(message[Transaction.signatureDomain.count...]) }
    }

    static func signed(body: [UInt8], signer: String, ts: Timestamp, type: TxType,
                       sign: ([UInt8]) throws -> [UInt8]) rethrows -> Signed {
        var signer = signer, ts = ts.description, type = type.rawValue
        var message: [UInt8] = [], leaf: [UInt8] = [], signature: [UInt8] = []
        try signer.withUTF8 { signer in try ts.withUTF8 { ts in try type.withUTF8 { type in
            try appendSigned(body: { $0.append(contentsOf: body) }, signer: signer, ts: ts, type: type,
                             message: &message, leaf: &leaf) { unsigned, out in
                signature = try sign(Array(unsigned))
                precondition(signature.count == out.count, "an Ed25519 signature is 64 bytes")
                out.copyBytes(from: signature)
            }
        } } }
        return Signed(message: message, signature: signature, leaf: leaf, bodyRange: head..<(head + body.count))
    }

    /// A transaction signed into a signer's reused buffers: `message` is
    /// replaced by what is signed (the domain tag, then the unsigned form,
    /// with the body `body` appends), `sign` writes the 64-byte signature
    /// over it, and the whole transaction (the leaf) is appended to `leaf`
    /// with `sig` spliced in between the body and `signer`, where JCS puts
    /// it (base64url needs no escapes). Once the buffers have grown to a
    /// transaction, nothing is allocated.
    static func appendSigned(body: (inout [UInt8]) -> Void, signer: UnsafeBufferPointer<UInt8>,
                             ts: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>,
                             message: inout [UInt8], leaf: inout [UInt8],
                             sign: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let domain = Transaction.signatureTag
        let tag = domain.utf8CodeUnitCount
        message.removeAll(keepingCapacity: true)
        message.append(addingCapacity: tag + head) { span in
            span.append(domain)
            span.append("{\"body\":")
        }
        body(&message)
        let split = message.count
        message.append(addingCapacity: bound(body: 0, signer: signer.count, ts: ts.count, type: type.count)) { span in
            tail(&span, signer: signer, ts: ts, type: type)
        }
        let sigCount = Ed25519.signatureByteCount
        try withUnsafeTemporaryAllocation(byteCount: sigCount, alignment: 1) { signature in
            try message.withUnsafeBytes { try sign($0, signature) }
            // `,"sig":"` and `"` around the signature's text.
            leaf.append(addingCapacity: message.count - tag + 9 + Base64URL.encodedCount(sigCount)) { span in
                message.withUnsafeBufferPointer { m in
                    span.append(UnsafeBufferPointer(rebasing: m[tag..<split]))
                    span.append(",\"sig\":\"")
                    Base64URL.encode(UnsafeRawBufferPointer(signature), into: &span)
                    span.append(UInt8(ascii: "\""))
                    span.append(UnsafeBufferPointer(rebasing: m[split...]))
                }
            }
        }
    }

    private static func forms(body: [UInt8], sig: UnsafeBufferPointer<UInt8>, signer: UnsafeBufferPointer<UInt8>,
                              ts: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>) -> Forms {
        // `{"body":` and `}` hold the body; the rest of each form follows it.
        func tail(_ span: inout Span, withSig: Bool) -> Range<Int>? {
            var sigValue: Range<Int>?
            if withSig {
                span.append(",\"sig\":")
                let start = span.count
                span.appendJSONString(sig)
                sigValue = start..<span.count
            }
            Self.tail(&span, signer: signer, ts: ts, type: type)
            return sigValue
        }
        let bound = bound(body: body.count, signer: signer.count, ts: ts.count, type: type.count)
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
