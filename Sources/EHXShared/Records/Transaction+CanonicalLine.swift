#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Transaction {
    /// The transaction whose canonical form is exactly `line`, read the
    /// way a verifier meets almost every line: jansson parses only the
    /// body, and the envelope around it is taken from the fixed places
    /// JCS puts its members (`{"body":` B `,"sig":"` S `","signer":"` K
    /// `","ts":"` T `","type":"` N `","v":1}`), then held to the one
    /// spelling of what was read. On a 4,000-transaction block line the
    /// envelope is over half the bytes, and lexing it cost more than the
    /// rest of a transaction's parse (issue 19).
    ///
    /// Nil for any line that is not exactly that, or whose members or body
    /// the schema refuses; the caller then reads it whole the general way
    /// (`parseWithLeaf`), which accepts the same canonical lines and names
    /// the problem with any other. The result is the one `parseWithLeaf`
    /// gives, and the line is its leaf.
    public init?(canonicalLine line: UnsafeRawBufferPointer) {
        guard let envelope = CanonicalEnvelope(line),
              let signature = Base64URL.decode(envelope.sig), signature.count == Ed25519.signatureByteCount,
              let raw = Base64URL.decode(envelope.signer), let signer = try? Ed25519.PublicKey(rawRepresentation: raw),
              let ts = Timestamp(rfc3339: envelope.ts),
              let type = TxType(rawValue: String(decoding: envelope.type, as: UTF8.self))
        else { return nil }
        let bodyBytes = UnsafeRawBufferPointer(rebasing: line[envelope.body])
        guard let read = JSONValue.withParsedIfValid(bodyBytes, canonicalOnly: true, { node -> (Content, [UInt8])? in
                  guard node.isObject else { return nil }
                  // A plain reading from the tree where it lies, and kept
                  // as one (no JSON value is made of it); anything else
                  // (sealed, stored, other types) as the parse checks it.
                  if type == .reading, let reading = try? SensorReading(parsing: node) {
                      return (.reading(reading), reading.canonicalForm().bytes)
                  }
                  guard let value = try? node.value(),
                        let canonical = try? TransactionBody.checkedCanonicalBytes(value, type: type) else { return nil }
                  return (.json(value), canonical)
              }), let (content, canonical) = read,
              canonical.bytesEqual(bodyBytes)
        else { return nil }
        var unsigned: [UInt8] = []
        envelope.unsigned(of: line, into: &unsigned)
        self.init(type: type, ts: ts, signer: signer, content: content, signature: signature, unsignedBytes: unsigned,
                  txid: SHA256.hash(unsigned), bodyRange: envelope.body)
    }
}

extension Transaction {
    /// The transaction whose canonical form is exactly `line` (a
    /// transaction inside its block line): read the quick way when it can
    /// be, else parsed and kept only when its canonical form is these very
    /// bytes. Nil otherwise; the caller then reads the whole block line,
    /// which names the problem.
    static func exactly(_ line: UnsafeRawBufferPointer) -> Transaction? {
        if let tx = Transaction(canonicalLine: line) { return tx }
        // Integers read as integers (no strtod per number), repeated names
        // not looked for (the canonical check refuses them): any text that
        // reads differently is refused here.
        guard let parsed = JSONValue.withParsedIfValid(line, canonicalOnly: true, { try? $0.value() }), let json = parsed,
              let (tx, leaf) = try? Transaction.parseWithLeaf(json), leaf.bytesEqual(line) else { return nil }
        return tx
    }
}

/// Where the members of a canonical transaction line lie, found from both
/// ends: everything between `{"body":` and `,"sig":"` is the body. Every
/// text the envelope holds (base64url, an RFC 3339 time, a type name) is
/// written by JCS as it is, with no escapes, so a line is canonical exactly
/// when these literals surround texts that decode and read back.
struct CanonicalEnvelope {
    let body: Range<Int>
    /// `,"sig":"…"`, which the unsigned form leaves out.
    let sigMember: Range<Int>
    let sig, signer, ts, type: UnsafeBufferPointer<UInt8>

    private static let sigLength = Base64URL.encodedCount(Ed25519.signatureByteCount)
    private static let signerLength = Base64URL.encodedCount(Ed25519.publicKeyByteCount)

    init?(_ line: UnsafeRawBufferPointer) {
        let bytes = line.assumingMemoryBound(to: UInt8.self)
        guard let base = bytes.baseAddress else { return nil }
        var end = bytes.count
        /// The literal `text` ending at `end`, stepped over.
        func literal(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard end >= n, memcmp(base + (end - n), text.utf8Start, n) == 0 else { return false }
            end -= n
            return true
        }
        /// `count` bytes ending at `end`, stepped over.
        func text(_ count: Int) -> UnsafeBufferPointer<UInt8>? {
            guard end >= count else { return nil }
            end -= count
            return UnsafeBufferPointer(rebasing: bytes[end..<(end + count)])
        }
        let head: StaticString = "{\"body\":"
        guard bytes.count > head.utf8CodeUnitCount, memcmp(base, head.utf8Start, head.utf8CodeUnitCount) == 0,
              literal("\",\"v\":1}") else { return nil }
        // The type's name: lowercase letters up to its opening quote.
        var start = end
        while start > 0, bytes[start - 1] >= UInt8(ascii: "a"), bytes[start - 1] <= UInt8(ascii: "z") { start -= 1 }
        guard start < end, let type = text(end - start), literal(",\"type\":\""),
              literal("\""), let ts = text(Timestamp.textLength), literal(",\"ts\":\""),
              literal("\""), let signer = text(Self.signerLength), literal(",\"signer\":\""),
              literal("\""), let sig = text(Self.sigLength)
        else { return nil }
        let sigEnd = end + Self.sigLength + 1
        guard literal(",\"sig\":\""), end > head.utf8CodeUnitCount else { return nil }
        body = head.utf8CodeUnitCount..<end
        sigMember = end..<sigEnd
        self.sig = sig
        self.signer = signer
        self.ts = ts
        self.type = type
    }

    /// The unsigned form, whose SHA-256 is the txid: the line without
    /// `,"sig":"…"`, written into `buffer` (emptied first, its capacity kept).
    func unsigned(of line: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(line.count - sigMember.count)
        buffer.append(contentsOf: line[..<sigMember.lowerBound])
        buffer.append(contentsOf: line[sigMember.upperBound...])
    }
}
