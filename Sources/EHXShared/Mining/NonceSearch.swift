import COpenSSL

/// Proof-of-work search over the header's nonce field. The first 64 header
/// bytes do not change with the nonce, so their SHA-256 state is computed
/// once per chunk and copied per nonce (the C loop in COpenSSL's shim).
public enum NonceSearch {
    /// Nonces tried between `shouldStop` polls: large enough that the poll
    /// costs nothing, small enough (a few ms) that a stop is prompt.
    static let chunk: UInt32 = 4096

    /// Searches nonces in [from, through] for the first header whose sha256d
    /// meets the target. Returns the header with the nonce set, or nil when the
    /// range is exhausted, empty (from > through), or `shouldStop` said so.
    public static func search(
        _ header: BlockHeader, target: CompactTarget, from: UInt32, through: UInt32,
        shouldStop: () -> Bool = { false }
    ) -> BlockHeader? {
        guard from <= through else { return nil }
        let bytes = header.serialized
        let targetBytes = target.target
        var start = from
        while true {
            if shouldStop() { return nil }
            let (end, overflow) = start.addingReportingOverflow(chunk - 1)
            let last = overflow || end > through ? through : end
            var found: UInt32 = 0
            let hit = bytes.withUnsafeBufferPointer { headerPtr in
                targetBytes.withUnsafeBufferPointer { targetPtr in
                    ehx_sha256d_scan(headerPtr.baseAddress, targetPtr.baseAddress, start, last, &found)
                }
            }
            if hit == 1 {
                var solved = header
                solved.nonce = found
                return solved
            }
            if last == through { return nil }
            start = last + 1
        }
    }
}
