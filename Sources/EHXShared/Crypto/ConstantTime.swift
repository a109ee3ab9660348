import COpenSSL

/// Comparisons whose timing does not reveal where two secrets first differ
/// (MACs, PSK proofs). Lengths are not secret, so a length mismatch returns early.
public enum ConstantTime {
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withNonNullBytes { pa, n in
            b.withNonNullBytes { pb, _ in CRYPTO_memcmp(pa, pb, n) == 0 }
        }
    }
}
