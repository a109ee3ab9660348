/// RFC 6962 / RFC 9162 Merkle tree hash with SHA-256. The 0x00/0x01 prefixes
/// keep a leaf from ever being passed off as an interior node, which
/// Bitcoin's own tree does not guarantee; that is why ehx uses this tree.
public enum MerkleTree {
    public static func leafHash(_ leaf: [UInt8]) -> SHA256Digest {
        leaf.withUnsafeBytes { leafHash($0) }
    }

    /// The leaf hash of bytes where they lie (a transaction inside its block line).
    static func leafHash(_ leaf: UnsafeRawBufferPointer) -> SHA256Digest {
        SHA256.hash(prefix: 0x00, leaf)
    }

    public static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        // The two digests side by side in one value, hashed where they lie.
        let pair = (left, right)
        return withUnsafeBytes(of: pair) { SHA256.hash(prefix: 0x01, $0) }
    }

    /// MTH(D[n]). Built bottom-up: carrying an unpaired last node up a level
    /// unchanged yields exactly the RFC's split at the largest power of two
    /// below n, without recursion.
    public static func root(leafHashes: [SHA256Digest]) -> SHA256Digest {
        guard !leafHashes.isEmpty else { return SHA256.hash([UInt8]()) }
        var level = leafHashes
        while level.count > 1 {
            var next: [SHA256Digest] = []
            next.reserveCapacity((level.count + 1) / 2)
            var index = 0
            while index + 1 < level.count {
                next.append(nodeHash(level[index], level[index + 1]))
                index += 2
            }
            if index < level.count { next.append(level[index]) }
            level = next
        }
        return level[0]
    }

    public static func root(leaves: [[UInt8]]) -> SHA256Digest {
        root(leafHashes: leaves.map(leafHash))
    }

    /// RFC 6962 §2.1.1 PATH(index, D[n]), leaf-side sibling first. An index
    /// outside the tree has no path and yields []; callers that must tell that
    /// apart from a one-leaf tree check the index themselves.
    public static func inclusionProof(index: Int, leafHashes: [SHA256Digest]) -> [SHA256Digest] {
        guard index >= 0, index < leafHashes.count else { return [] }
        var proof: [SHA256Digest] = []
        path(index, leafHashes[...], into: &proof)
        return proof
    }

    private static func path(_ index: Int, _ hashes: ArraySlice<SHA256Digest>, into proof: inout [SHA256Digest]) {
        let count = hashes.count
        guard count > 1 else { return }
        let split = largestPowerOfTwo(below: count)
        let start = hashes.startIndex
        if index < split {
            path(index, hashes[start..<(start + split)], into: &proof)
            proof.append(root(leafHashes: Array(hashes[(start + split)...])))
        } else {
            path(index - split, hashes[(start + split)...], into: &proof)
            proof.append(root(leafHashes: Array(hashes[start..<(start + split)])))
        }
    }

    /// The largest power of two strictly less than n (n > 1).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
