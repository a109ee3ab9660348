/// A 32-byte SHA-256 output, in the byte order the hash function produced it.
/// Bitcoin-style displays (block hashes, prev, merkle) reverse it: use
/// `displayHex` for those and `hex` everywhere else (txids, key ids).
public struct SHA256Digest: Hashable, Sendable, Comparable {
    public static let byteCount = 32
    public static let zero = SHA256Digest(unchecked: [UInt8](repeating: 0, count: 32))

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "SHA-256 digest", expected: Self.byteCount, got: bytes.count)
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The bytes hashed at once (see `Ed25519.PublicKey.hash(into:)`).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Parses the natural-order hex form (txids, key ids).
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses the byte-reversed form Bitcoin shows (block hash, prev, merkle).
    public init?(displayHex: String) {
        guard let bytes = Hex.decode(displayHex), bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes.reversed()
    }

    public var hex: String { Hex.encode(bytes) }
    public var displayHex: String { Hex.encode(bytes.reversed()) }

    public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
