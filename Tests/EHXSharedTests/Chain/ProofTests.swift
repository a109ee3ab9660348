import Foundation
import Testing
@testable import EHXShared

@Suite struct ProofTests {
    static let treeFile = "vectors/merkle/rfc6962.json"

    /// Every (leaf, size) case of the RFC 6962 vectors: the path ehx-query
    /// would put in a proof is the vector's, survives the proof's hex
    /// encoding, verifies, and fails when any hash or the index changes.
    @Test(.enabled(if: SharedFiles.exists(treeFile)))
    func inclusionVectors() throws {
        let tree = try #require(SharedFiles.json(Self.treeFile) as? [String: Any])
        let leaves = try #require((tree["leaves"] as? [String])?.compactMap(Hex.decode))
        let cases = try #require(tree["inclusion_all"] as? [[String: Any]]) + (tree["inclusion"] as? [[String: Any]] ?? [])
        #expect(cases.count >= 36)
        for c in cases {
            let index = try #require(c["leaf_index"] as? Int)
            let size = try #require(c["tree_size"] as? Int)
            let expected = try #require((c["proof"] as? [String])?.compactMap(SHA256Digest.init(hex:)))
            let root = try #require((c["root"] as? String).flatMap(SHA256Digest.init(hex:)))
            let hashes = leaves.prefix(size).map(MerkleTree.leafHash)
            let path = MerkleTree.inclusionProof(index: index, leafHashes: Array(hashes))
            #expect(path == expected, "leaf \(index) of \(size)")
            let decoded = path.map(\.hex).compactMap(SHA256Digest.init(hex:))
            #expect(MerkleProof.verifyInclusion(leafHash: hashes[index], index: UInt64(index), treeSize: UInt64(size), proof: decoded, root: root))
            for i in decoded.indices {
                var bad = decoded
                var bytes = bad[i].bytes
                bytes[0] ^= 1
                bad[i] = SHA256Digest(unchecked: bytes)
                #expect(!MerkleProof.verifyInclusion(leafHash: hashes[index], index: UInt64(index), treeSize: UInt64(size), proof: bad, root: root))
            }
            if size > 1 {
                let other = (index + 1) % size
                #expect(!MerkleProof.verifyInclusion(leafHash: hashes[index], index: UInt64(other), treeSize: UInt64(size), proof: decoded, root: root) || hashes[index] == hashes[other])
            }
        }
    }

    /// A block of n transactions (every n up to 9): each one's proof checks,
    /// round-trips through JSON, and fails when the transaction changes.
    @Test func proofsForEveryTransactionOfRealBlocks() throws {
        var chain = try TestChain()
        for n in 1...9 {
            let txs = try (0..<(n - 1)).map { try chain.signed(chain.reading(seq: Int64(n * 100 + $0))) }
            let block = try chain.append(txs)
            for i in block.txs.indices {
                let proof = InclusionProof(block: block, index: i)
                #expect(proof.check().problems.isEmpty, "block \(block.height) tx \(i)")
                let again = try InclusionProof(parsing: try JSONValue.parse(proof.json.canonicalBytes()))
                #expect(again.check().problems.isEmpty)
                #expect(again.path == proof.path && again.header == proof.header)
            }
        }
        let block = chain.blocks[5]
        let proof = InclusionProof(block: block, index: 2)
        // Another transaction's path does not prove this one.
        var json = proof.json.objectValue!
        json["leaf_index"] = 3
        let moved = try InclusionProof(parsing: .object(json))
        #expect(moved.check().problems.contains { $0.hasPrefix("merkle:") })
        // A header whose nonce changed no longer hashes to the block.
        json = proof.json.objectValue!
        var header = proof.header
        header.nonce &+= 1
        json["header"] = Block.headerJSON(header)
        json["header_hex"] = .string(Hex.encode(header.serialized))
        let renonced = try InclusionProof(parsing: .object(json))
        #expect(renonced.check().problems.contains { $0.hasPrefix("hash:") })
        // header_hex that disagrees with the fields is refused as malformed.
        json["header_hex"] = .string(Hex.encode(proof.header.serialized))
        #expect(throws: RecordError.self) { try InclusionProof(parsing: .object(json)) }
    }

    @Test func pinsNeedTheHeaderChain() throws {
        var chain = try TestChain()
        for s in 1...3 { _ = try chain.append([try chain.signed(chain.reading(seq: Int64(s)))]) }
        let proof = InclusionProof(block: chain.blocks[2], index: 1)
        var headers = HeaderChain()
        for (i, b) in chain.blocks.enumerated() { headers.add(HeaderLine(block: b), number: i + 1) }
        let genesis = chain.blocks[0].claimedHash
        let tip = chain.blocks[3].claimedHash

        #expect(ProofVerdict(proof: proof, headers: nil, pins: ChainPins()).pinnedBy == nil)
        #expect(ProofVerdict(proof: proof, headers: nil, pins: ChainPins()).isValid)
        #expect(!ProofVerdict(proof: proof, headers: nil, pins: ChainPins(genesis: genesis)).isValid)
        let pinned = ProofVerdict(proof: proof, headers: headers, pins: ChainPins(genesis: genesis, expectTip: tip))
        #expect(pinned.isValid && pinned.pinnedBy?.contains("genesis pinned") == true)
        #expect(ProofVerdict(proof: proof, headers: nil, pins: ChainPins(checkpoints: [2: chain.blocks[2].claimedHash])).pinnedBy != nil)
        // Another genesis, or a header chain with a gap, is refused.
        #expect(!ProofVerdict(proof: proof, headers: headers, pins: ChainPins(genesis: tip)).isValid)
        var gap = HeaderChain()
        for (i, b) in chain.blocks.enumerated() where i != 1 { gap.add(HeaderLine(block: b), number: i + 1) }
        #expect(!ProofVerdict(proof: proof, headers: gap, pins: ChainPins(genesis: genesis)).isValid)
        // A header line whose header was edited fails its own hash.
        var edited = chain.blocks[2].header
        edited.time += 1
        var forged = HeaderChain()
        for (i, b) in chain.blocks.enumerated() {
            let line = i == 2 ? try HeaderLine(parsing: ["height": 2, "hash": .string(b.claimedHash.displayHex), "header": .string(Hex.encode(edited.serialized))]) : HeaderLine(block: b)
            forged.add(line, number: i + 1)
        }
        #expect(!forged.problems.isEmpty)
    }

    /// "valid" needs an anchor at or above the proof's block: a pinned
    /// genesis alone leaves it "not anchored" (exit 2), as does nothing;
    /// a checkpoint below the block does not anchor it, one at or above does,
    /// as do the tip and a minimum of work from the pinned genesis.
    @Test func validNeedsAnAnchorAtOrAboveTheBlock() throws {
        var chain = try TestChain()
        for s in 1...3 { _ = try chain.append([try chain.signed(chain.reading(seq: Int64(s)))]) }
        let proof = InclusionProof(block: chain.blocks[2], index: 1)
        var headers = HeaderChain()
        for (i, b) in chain.blocks.enumerated() { headers.add(HeaderLine(block: b), number: i + 1) }
        let genesis = chain.blocks[0].claimedHash
        func outcome(_ pins: ChainPins, _ h: HeaderChain? = nil) -> ProofVerdict.Outcome {
            ProofVerdict(proof: proof, headers: h ?? headers, pins: pins).outcome
        }
        #expect(outcome(ChainPins()) == .notAnchored)
        #expect(outcome(ChainPins(genesis: genesis)) == .notAnchored)
        #expect(outcome(ChainPins(authority: chain.authority.publicKey)) == .notAnchored)
        #expect(outcome(ChainPins(genesis: genesis, checkpoints: [1: chain.blocks[1].claimedHash])) == .notAnchored)
        #expect(outcome(ChainPins(genesis: genesis, checkpoints: [2: chain.blocks[2].claimedHash])) == .valid)
        #expect(outcome(ChainPins(genesis: genesis, expectTip: chain.blocks[3].claimedHash)) == .valid)
        #expect(outcome(ChainPins(genesis: genesis, minWork: headers.work)) == .valid)
        #expect(outcome(ChainPins(authority: chain.authority.publicKey, minWork: headers.work)) == .valid)
        #expect(outcome(ChainPins(genesis: genesis, minWork: headers.work + ChainWork(of: try CompactTarget(bits: 0x207f_ffff)))) == .invalid)
        #expect(outcome(ChainPins(minWork: headers.work)) == .invalid, "minimum work needs a pinned genesis")
        #expect(outcome(ChainPins(authority: chain.gateway.publicKey)) == .invalid, "genesis not signed by that key")
        #expect(ProofVerdict(proof: proof, headers: headers, pins: ChainPins()).exitStatus == .notAnchored)
    }

    /// RFC 6962 paths of leaf 6 of a 301-leaf tree also verify for 300, 302
    /// and 512 leaves; the stamp's stated size refuses all three.
    @Test func treeSizeIsTheStampsSize() throws {
        var chain = try TestChain()
        let txs = try (0..<300).map { try chain.signed(chain.reading(device: "bed-\($0)", seq: 1)) }
        let block = try chain.append(txs)
        let proof = InclusionProof(block: block, index: 6)
        #expect(proof.check().problems.isEmpty && proof.check().sizeOK)
        for size in [300, 302, 512] {
            var json = proof.json.objectValue ?? [:]
            json["tree_size"] = .number(Double(size))
            let forged = try InclusionProof(parsing: .object(json))
            let leaf = MerkleTree.leafHash(forged.tx.leaf)
            #expect(MerkleProof.verifyInclusion(leafHash: leaf, index: 6, treeSize: UInt64(size), proof: forged.path, root: forged.header.merkle),
                    "the attack: the path alone accepts \(size)")
            #expect(forged.check().problems.contains { $0.hasPrefix("merkle: tree_size \(size)") }, "\(forged.check().problems)")
        }
        // Without the stamp the size is unchecked: never "valid".
        var json = proof.json.objectValue ?? [:]
        json["stamp"] = nil
        json["stamp_path"] = nil
        let bare = try InclusionProof(parsing: .object(json))
        #expect(bare.check().problems.isEmpty && !bare.check().sizeOK && bare.check().sizeUnchecked != nil)
        let verdict = ProofVerdict(proof: bare, headers: nil, pins: ChainPins(checkpoints: [1: block.claimedHash]))
        #expect(verdict.outcome == .notAnchored, "\(verdict.verdict)")
    }
}
