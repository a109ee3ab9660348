/// An identifier (device, patient, pseudonym) as the chain compares it: by
/// its UTF-8 bytes. Swift's `String` equality is Unicode canonical
/// equivalence, so `"bed-\u{e9}"` (NFC) and `"bed-e\u{301}"` (NFD) would be
/// one device to a `[String: …]` table although JCS, and so every signature
/// and hash, sees two different byte strings.
public struct ByteIdentity: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ text: String) { bytes = Array(text.utf8) }

    /// The bytes hashed at once (see `Ed25519.PublicKey.hash(into:)`).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

extension String {
    /// Equality of UTF-8 bytes, for consensus comparisons of ids (see `ByteIdentity`).
    public func sameBytes(as other: String) -> Bool { self.utf8.elementsEqual(other.utf8) }
}
