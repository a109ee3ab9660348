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

    init(leaf: [UInt8], message: [UInt8]) {
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
}
