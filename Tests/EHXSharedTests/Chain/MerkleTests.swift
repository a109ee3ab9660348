import Foundation
import Testing
@testable import EHXShared

@Suite struct MerkleTests {
    static let treeFile = "vectors/merkle/rfc6962.json"
    static let probesFile = "vectors/merkle/verify_probes.json"

    static func tree() -> [String: Any] { (SharedFiles.json(treeFile) as? [String: Any]) ?? [:] }

    static func digests(_ any: Any?) -> [SHA256Digest]? {
        guard let texts = any as? [String] else { return nil }
        let parsed = texts.compactMap(SHA256Digest.init(hex:))
        return parsed.count == texts.count ? parsed : nil
    }

    @Test func emptyTreeIsHashOfEmptyString() {
        #expect(MerkleTree.root(leafHashes: []).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleTree.root(leaves: []) == MerkleTree.root(leafHashes: []))
    }

    @Test(.enabled(if: SharedFiles.exists(treeFile)))
    func leafHashesAndRootsForEveryPrefix() throws {
        let tree = Self.tree()
        let leaves = try #require((tree["leaves"] as? [String])?.compactMap(Hex.decode))
        #expect(leaves.count == 8)
        let leafHashes = try #require(Self.digests(tree["leaf_hashes"]))
        #expect(leaves.map(MerkleTree.leafHash) == leafHashes)
        let roots = try #require(Self.digests(tree["roots"]))
        #expect(roots.count == 9)
        for size in 0...8 {
            #expect(MerkleTree.root(leaves: Array(leaves.prefix(size))) == roots[size], "size \(size)")
            #expect(MerkleTree.root(leafHashes: Array(leafHashes.prefix(size))) == roots[size], "size \(size)")
        }
        let levels = try #require(tree["node_hashes_by_level"] as? [[String]])
        let level1 = try #require(Self.digests(levels[1]))
        #expect(MerkleTree.nodeHash(leafHashes[0], leafHashes[1]) == level1[0])
    }

    @Test(.enabled(if: SharedFiles.exists(treeFile)))
    func inclusionProofsForEveryLeafAndSize() throws {
        let tree = Self.tree()
        let leafHashes = try #require(Self.digests(tree["leaf_hashes"]))
        let cases = tree["inclusion_all"] as? [[String: Any]] ?? []
        #expect(cases.count == 36)
        for entry in cases + (tree["inclusion"] as? [[String: Any]] ?? []) {
            let index = try #require(entry["leaf_index"] as? Int)
            let size = try #require(entry["tree_size"] as? Int)
            let expected = try #require(Self.digests(entry["proof"]))
            let root = try #require(Vec.digest(entry["root"]))
            let leaf = try #require(Vec.digest(entry["leaf_hash"]))
            #expect(leaf == leafHashes[index])
            let proof = MerkleTree.inclusionProof(index: index, leafHashes: Array(leafHashes.prefix(size)))
            #expect(proof == expected, "leaf \(index) of \(size)")
            #expect(MerkleProof.verifyInclusion(leafHash: leaf, index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root))
            // The same proof must not fit a neighbouring position. (A larger
            // size can share the path shape, so only the root pins the size.)
            if size > 1 {
                let other = UInt64((index + 1) % size)
                #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: other, treeSize: UInt64(size), proof: proof, root: root))
            }
        }
    }

    @Test(.enabled(if: SharedFiles.exists(probesFile)))
    func upstreamVerifierProbes() throws {
        let probes = ((SharedFiles.json(Self.probesFile) as? [String: Any])?["inclusion"] as? [[String: Any]]) ?? []
        #expect(probes.count == 98)
        var valid = 0
        for probe in probes {
            let wantErr = try #require(probe["wantErr"] as? Bool)
            let label = "\(probe["file"] as? String ?? "?"): \(probe["desc"] as? String ?? "")"
            let index = try #require((probe["leafIdx"] as? NSNumber)?.int64Value)
            let size = try #require((probe["treeSize"] as? NSNumber)?.int64Value)
            // Upstream treats a hash that is not 32 bytes as an error, and so
            // does the typed API: such a value cannot even be a SHA256Digest.
            guard let leaf = Vec.digest(probe["leafHash"]), let root = Vec.digest(probe["root"]),
                  let proof = Self.digests(probe["proof"]), index >= 0, size >= 0
            else {
                #expect(wantErr, "\(label) has a malformed field but is expected to verify")
                continue
            }
            let ok = MerkleProof.verifyInclusion(leafHash: leaf, index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root)
            #expect(ok == !wantErr, "\(label)")
            if ok { valid += 1 }
        }
        #expect(valid == 6)
    }

    @Test func everyProofVerifiesInTreesUpTo70Leaves() {
        for size in 1...70 {
            let hashes = (0..<size).map { MerkleTree.leafHash([UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]) }
            let root = MerkleTree.root(leafHashes: hashes)
            #expect(root == Self.recursiveRoot(hashes[...]), "size \(size)")
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, leafHashes: hashes)
                #expect(MerkleProof.verifyInclusion(leafHash: hashes[index], index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root),
                        "leaf \(index) of \(size)")
                if !proof.isEmpty {
                    #expect(!MerkleProof.verifyInclusion(leafHash: hashes[index], index: UInt64(index), treeSize: UInt64(size), proof: Array(proof.dropLast()), root: root))
                    #expect(!MerkleProof.verifyInclusion(leafHash: hashes[index], index: UInt64(index), treeSize: UInt64(size), proof: proof + [root], root: root))
                }
            }
        }
    }

    @Test func malformedInputsAreFalseNotCrashes() {
        let leaf = MerkleTree.leafHash([1])
        #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: 0, treeSize: 0, proof: [], root: leaf))
        #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: 5, treeSize: 5, proof: [], root: leaf))
        #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: .max, treeSize: .max, proof: [leaf], root: leaf))
        #expect(MerkleProof.verifyInclusion(leafHash: leaf, index: 0, treeSize: 1, proof: [], root: leaf))
        #expect(MerkleTree.inclusionProof(index: 3, leafHashes: [leaf]) == [])
        #expect(MerkleTree.inclusionProof(index: -1, leafHashes: [leaf, leaf]) == [])
    }

    @Test func leafAndNodeDomainsAreSeparated() {
        let a = MerkleTree.leafHash([1]), b = MerkleTree.leafHash([2])
        // A leaf whose data is an interior node's preimage must not collide with that node.
        #expect(MerkleTree.leafHash([0x01] + a.bytes + b.bytes) != MerkleTree.nodeHash(a, b))
        #expect(MerkleTree.nodeHash(a, b) != MerkleTree.nodeHash(b, a))
    }

    /// RFC 6962 §2.1's MTH verbatim, to check the bottom-up construction.
    static func recursiveRoot(_ hashes: ArraySlice<SHA256Digest>) -> SHA256Digest {
        if hashes.count == 1, let only = hashes.first { return only }
        var k = 1
        while k * 2 < hashes.count { k *= 2 }
        let mid = hashes.startIndex + k
        return MerkleTree.nodeHash(recursiveRoot(hashes[..<mid]), recursiveRoot(hashes[mid...]))
    }
}

enum Vec {
    static func digest(_ any: Any?) -> SHA256Digest? {
        (any as? String).flatMap(SHA256Digest.init(hex:))
    }
}
