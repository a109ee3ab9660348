/// ehx-sign's path for its usual line, a plain sensor reading: signed as a
/// reading transaction straight from jansson's tree into buffers kept from
/// line to line, with no `JSONValue`, `Transaction` or array per line in
/// between (issue 19: with two workers, each allocation freed on the
/// writing thread and each shared reference count cost as much as the
/// rest of a signature's overhead). The bytes are those
/// `Transaction.signWithLeaf` gives. One per worker: its buffers and its
/// signing context are reused, so it is never shared between threads.
public final class ReadingSigner {
    public let signer: Ed25519Signer
    private let publicKey: [UInt8]
    /// The last line's signed message (the domain tag, then the unsigned form).
    private var message: [UInt8] = []
    private var time: [UInt8] = []

    public init(key: Ed25519.PrivateKey) {
        signer = Ed25519Signer(key: key)
        publicKey = Array(signer.publicKeyText.utf8)
        message.reserveCapacity(1024)
        time.reserveCapacity(Timestamp.textLength)
    }

    private static var readingType: StaticString { "reading" }

    /// Appends to `out` the transaction signing `line` at `ts` as a
    /// reading, and a newline, when `line` is a plain reading; false, with
    /// `out` as it was, for anything else (an envelope, a sealed or stored
    /// body, a line jansson or the schema refuses, a time that does not
    /// read back as itself), which the caller reads the general way, for
    /// its transaction or for the exact refusal.
    public func append(_ line: UnsafeRawBufferPointer, ts: Timestamp, to out: inout [UInt8]) -> Bool {
        guard ts.readsBack,
              let parsed = JSONValue.withParsedIfValid(line, { node in try? SensorReading(parsing: node) }),
              let reading = parsed
        else { return false }
        time.removeAll(keepingCapacity: true)
        ts.appendRFC3339(to: &time)
        let start = out.count
        let type = Self.readingType
        do {
            try publicKey.withUnsafeBufferPointer { key in
                try time.withUnsafeBufferPointer { time in
                    try TransactionLayout.appendSigned(
                        body: { reading.appendCanonicalForm(to: &$0) }, signer: key, ts: time,
                        type: UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount),
                        message: &message, leaf: &out) { message, signature in try signer.sign(message, into: signature) }
                }
            }
        } catch {
            out.removeSubrange(start...)
            return false
        }
        out.append(0x0a)
        return true
    }

    /// `append` as one `SignedLine` (the leaf, and the txid when asked),
    /// for a spool that names each transaction's file by its txid.
    public func signedLine(_ line: UnsafeRawBufferPointer, ts: Timestamp) -> SignedLine? {
        var leaf: [UInt8] = []
        guard append(line, ts: ts, to: &leaf) else { return nil }
        leaf.removeLast()
        return SignedLine(leaf: leaf, message: message)
    }
}
