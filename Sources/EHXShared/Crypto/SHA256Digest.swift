/// A 32-byte SHA-256 output, in the byte order the hash function produced it.
/// Bitcoin-style displays (block hashes, prev, merkle) reverse it: use
/// `displayHex` for those and `hex` everywhere else (txids, key ids).
public struct SHA256Digest: Hashable, Sendable, Comparable {
    public static let byteCount = 32
    public static let zero = SHA256Digest(storage: SIMD32(repeating: 0))

    /// The 32 bytes, held in the value: a verifier makes several digests
    /// per transaction (txid, leaf, reading keys, Merkle nodes), and an
    /// array for each cost an allocation and, made through generic code,
    /// a metadata lookup shared by every thread (issue 19).
    private var storage: SIMD32<UInt8>

    private init(storage: SIMD32<UInt8>) {
        self.storage = storage
    }

    /// The bytes as an array (a copy; `withUnsafeBytes` lends them without one).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "SHA-256 digest", expected: Self.byteCount, got: bytes.count)
        }
        self.init(unchecked: bytes)
    }

    /// From exactly 32 bytes (libcrypto's output, a header's field).
    init<Bytes: ContiguousBytes>(unchecked bytes: Bytes) {
        var storage = SIMD32<UInt8>(repeating: 0)
        bytes.withUnsafeBytes { raw in
            precondition(raw.count == Self.byteCount, "a SHA-256 digest is 32 bytes")
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
        }
        self.storage = storage
    }

    /// A digest written by `write` into its 32 bytes (libcrypto's final
    /// step); nil when `write` fails.
    static func written(_ write: (UnsafeMutableRawBufferPointer) -> Bool) -> SHA256Digest? {
        var storage = SIMD32<UInt8>(repeating: 0)
        guard withUnsafeMutableBytes(of: &storage, write) else { return nil }
        return SHA256Digest(storage: storage)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// The bytes hashed at once (see `Ed25519.PublicKey.hash(into:)`).
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.storage == rhs.storage
    }

    /// Parses the natural-order hex form (txids, key ids).
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else { return nil }
        self.init(unchecked: bytes)
    }

    /// Parses the byte-reversed form Bitcoin shows (block hash, prev, merkle).
    public init?(displayHex: String) {
        guard let bytes = Hex.decode(displayHex), bytes.count == Self.byteCount else { return nil }
        self.init(unchecked: Array(bytes.reversed()))
    }

    public var hex: String { withUnsafeBytes { Hex.encode($0) } }
    public var displayHex: String { Hex.encode(bytes.reversed()) }

    public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.lexicographicallyPrecedes(r) } }
    }
}

extension SHA256Digest: ContiguousBytes {}
