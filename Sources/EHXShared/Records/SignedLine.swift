/// A transaction as ehx-sign writes it: the line (its Merkle leaf) and,
/// for a spool that names files by it, its txid, hashed only when asked.
public struct SignedLine: Sendable {
    public let leaf: [UInt8]
    private let signed: Signed

    private enum Signed: Sendable {
        /// The signed message: the domain tag, then the unsigned form.
        case message([UInt8])
        case txid(SHA256Digest)
    }

    public init(_ transaction: Transaction, leaf: [UInt8]) {
        self.leaf = leaf
        signed = .txid(transaction.txid)
    }

    private init(leaf: [UInt8], message: [UInt8]) {
        self.leaf = leaf
        signed = .message(message)
    }

    public var txid: SHA256Digest {
        switch signed {
        case .txid(let txid): return txid
        case .message(let message):
            return message.withUnsafeBytes { SHA256.hash(prefix: nil, UnsafeRawBufferPointer(rebasing: $0[Transaction.signatureDomain.count...])) }
        }
    }

    /// A line holding a plain sensor reading, signed as a reading
    /// transaction at `ts`: the bytes `Transaction.signWithLeaf` gives for
    /// it, read from jansson's tree where it lies and written straight into
    /// the two forms, without a `JSONValue` or a `Transaction` in between
    /// (issue 19: these cost more than the rest of a signature's overhead).
    /// Nil for anything else (an envelope, a sealed or stored body, a line
    /// jansson or the schema refuses), which the caller reads the general
    /// way, for its transaction or for the exact refusal.
    public static func reading(_ line: UnsafeRawBufferPointer, ts: Timestamp, signer: Ed25519Signer) -> SignedLine? {
        guard let parsed = JSONValue.withParsedIfValid(line, { node in try? SensorReading(parsing: node) }),
              let reading = parsed,
              // As signWithLeaf holds it: a time that reads back as itself.
              ts.readsBack,
              let signed = try? TransactionLayout.signed(body: reading.canonicalForm().bytes, signer: signer.publicKeyText,
                                                         ts: ts, type: .reading, sign: { try signer.signature(for: $0) })
        else { return nil }
        return SignedLine(leaf: signed.leaf, message: signed.message)
    }
}
