/// Verification of RFC 6962 inclusion proofs by the RFC 9162 §2.1.3.2
/// algorithm, which checks the proof length implicitly: a proof that is one
/// hash short or long leaves `sn` nonzero or runs it out early.
public enum MerkleProof {
    /// RFC 9162 §2.1.3.2 verification; false on any malformed input (index >= size, wrong proof length, etc.)
    public static func verifyInclusion(
        leafHash: SHA256Digest, index: UInt64, treeSize: UInt64, proof: [SHA256Digest], root: SHA256Digest
    ) -> Bool {
        guard index < treeSize else { return false }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = MerkleTree.nodeHash(p, r)
                // A right-edge node with no right sibling is carried up
                // unchanged, so skip the levels where it is a left child.
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleTree.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }
}
