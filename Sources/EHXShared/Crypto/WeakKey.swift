/// The weak-key rule of man ehx.7: a public key that makes its scheme
/// meaningless is refused wherever a key enters (key files, grants,
/// genesis, the read policy's emergency key).
public enum WeakKey {
    /// The rule's name, as ehx-verify and ehx-mine report it.
    public static let rule = "weak-key"

    /// Why `key` is weak, or nil. With a point of small order as its key,
    /// R = identity and S = 0 verify for every message.
    public static func problem(with key: Ed25519.PublicKey) -> String? {
        guard key.hasSmallOrder else { return nil }
        return "an Ed25519 public key of small order: one signature would verify for every message"
    }

    /// Why `key` is weak, or nil: with a low-order X25519 key every shared
    /// secret is all zeros, so nothing can be sealed for its holder.
    public static func problem(with key: X25519.PublicKey) -> String? {
        guard key.hasLowOrder else { return nil }
        return "an X25519 public key of low order: every shared secret with it is all zeros"
    }
}

extension Ed25519.PublicKey {
    /// True for every encoding of the eight points of small order (the
    /// identity, the point of order 2, two of order 4, four of order 8),
    /// canonical or not: the y coordinate of each (y, and y + p where that
    /// still fits in 255 bits), compared with the sign bit of x cleared, so
    /// both signs of x count too. libcrypto has no small-order check for
    /// Ed25519, and a list of encodings is the usual way (libsodium's).
    public var hasSmallOrder: Bool {
        let bytes = rawRepresentation
        guard bytes.count == Ed25519.publicKeyByteCount else { return false }
        return Self.smallOrderEncodings.contains { encoding in
            var same = true
            for i in 0..<31 where bytes[i] != encoding[i] { same = false }
            return same && bytes[31] & 0x7f == encoding[31]
        }
    }

    /// y of each point of small order, little-endian, sign bit clear.
    static let smallOrderEncodings: [[UInt8]] = [
        // y = 0: the two points of order 4.
        [UInt8](repeating: 0, count: 32),
        // y = 1: the identity.
        [0x01] + [UInt8](repeating: 0, count: 31),
        // The points of order 8 (two y, each with both signs of x).
        [0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
         0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05],
        [0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
         0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a],
        // y = p - 1: the point of order 2.
        [0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f],
        // y = p and y = p + 1: non-canonical spellings of y = 0 and y = 1.
        [0xed] + [UInt8](repeating: 0xff, count: 30) + [0x7f],
        [0xee] + [UInt8](repeating: 0xff, count: 30) + [0x7f],
    ]
}

extension X25519.PublicKey {
    /// True when X25519 with this key gives the all-zero secret, i.e. for
    /// every u of low order in any encoding (u >= p included): libcrypto
    /// refuses that result, so a derive with any clamped scalar fails
    /// exactly for them. Any other failure counts as weak too (fail closed).
    public var hasLowOrder: Bool {
        guard let probe = try? X25519.PrivateKey() else { return true }
        return (try? probe.sharedSecret(with: self)) == nil
    }
}
