import COpenSSL

/// Bytes from libcrypto's CSPRNG (seeded from the OS).
public enum SecureRandom {
    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        guard count >= 0, count <= Int(Int32.max) else {
            throw .invalidLength(what: "random byte count", expected: 0, got: count)
        }
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        guard RAND_bytes(&out, Int32(count)) == 1 else {
            throw .drainingQueue(operation: "RAND_bytes")
        }
        return out
    }
}
