/// A self-contained proof that one transaction is in one block
/// (`ehx-query proof`), checked without the chain by `ehx-verify --proof`:
/// leaf → RFC 6962 root → 80-byte header (hash, proof of work at its bits),
/// with the block's stamp proven at leaf 0 to fix the tree's size, → a
/// header chain (`ehx-query headers`) held to the header rules, up to an
/// anchor at or above the block (`ProofVerdict`). The proof alone shows
/// consistency; only the anchors say which chain it belongs to.
///
/// ```
/// {"format":"ehx-inclusion-proof-v1","txid":…,"tx":{…},"leaf_index":i,"tree_size":n,
///  "path":["<hex>",…],"stamp":{…},"stamp_path":["<hex>",…],"height":h,"block":"<hash>",
///  "header":{…},"header_hex":"<160 hex>"}
/// ```
/// `path` holds RFC 6962 node hashes in hash-output order (plain hex, not
/// byte-reversed); `block` and the header's `prev`/`merkle` are shown
/// byte-reversed as everywhere in ehx.
public struct InclusionProof: Sendable {
    public static let format = "ehx-inclusion-proof-v1"
    public let tx: Transaction
    public let leafIndex: UInt64
    public let treeSize: UInt64
    public let path: [SHA256Digest]
    public let height: Int64
    public let blockHash: SHA256Digest
    public let header: BlockHeader
    /// The block's stamp (leaf 0) and its audit path, when the proven
    /// transaction is another: the stamp states the block's transaction
    /// count, which authenticates `treeSize` (a proof of leaf 0 carries
    /// its stamp as `tx`).
    public let stamp: Transaction?
    public let stampPath: [SHA256Digest]?

    /// The proof for transaction `index` of `block`.
    public init(block: Block, index: Int) {
        let leaves = block.txs.map { MerkleTree.leafHash($0.leaf) }
        tx = block.txs[index]
        leafIndex = UInt64(index)
        treeSize = UInt64(leaves.count)
        path = MerkleTree.inclusionProof(index: index, leafHashes: leaves)
        height = block.height
        blockHash = block.claimedHash
        header = block.header
        stamp = index == 0 ? nil : block.txs[0]
        stampPath = index == 0 ? nil : MerkleTree.inclusionProof(index: 0, leafHashes: leaves)
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "format": .string(Self.format),
            "txid": .string(tx.txid.hex),
            "tx": tx.json,
            "leaf_index": .number(Double(leafIndex)),
            "tree_size": .number(Double(treeSize)),
            "path": .array(path.map { .string($0.hex) }),
            "height": .number(Double(height)),
            "block": .string(blockHash.displayHex),
            "header": Block.headerJSON(header),
            "header_hex": .string(Hex.encode(header.serialized)),
        ]
        if let stamp, let stampPath {
            object["stamp"] = stamp.json
            object["stamp_path"] = .array(stampPath.map { .string($0.hex) })
        }
        return .object(object)
    }

    private static func hashes(_ f: RecordFields, _ key: String) throws(RecordError) -> [SHA256Digest] {
        var hashes: [SHA256Digest] = []
        for (i, item) in try f.array(key).enumerated() {
            guard let text = item.stringValue, let digest = SHA256Digest(hex: text) else {
                throw RecordError(field: "\(key)[\(i)]", "must be 64 lowercase hex digits")
            }
            hashes.append(digest)
        }
        guard hashes.count <= 64 else { throw RecordError(field: key, "longer than any tree") }
        return hashes
    }

    /// Parses a proof object. Structure only: `check` judges it.
    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["format", "txid", "tx", "leaf_index", "tree_size", "path", "height",
                                                 "block", "header", "header_hex", "stamp", "stamp_path"])
        let format = try f.string("format", maxLength: 64)
        guard format == Self.format else { throw RecordError(field: "format", "\"\(format)\" is not \(Self.format)") }
        do { tx = try Transaction(parsing: try f.object("tx")) } catch { throw error.nested(in: "tx") }
        let txidText = try f.string("txid", maxLength: 64)
        guard SHA256Digest(hex: txidText) == tx.txid else {
            throw RecordError(field: "txid", "\(txidText) is not the id of the transaction in the proof (\(tx.txid.hex))")
        }
        let size = try f.integer("tree_size", in: 1...Int64(UInt32.max))
        let index = try f.integer("leaf_index", in: 0...Int64(UInt32.max))
        leafIndex = UInt64(index)
        treeSize = UInt64(size)
        path = try Self.hashes(f, "path")
        height = try f.integer("height", in: 0...Int64(UInt32.max))
        guard let hash = SHA256Digest(displayHex: try f.string("block", maxLength: 64)) else {
            throw RecordError(field: "block", "must be 64 lowercase hex digits")
        }
        blockHash = hash
        let parsedHeader: BlockHeader
        do { parsedHeader = try Block.parseHeader(try f.object("header")) } catch { throw error.nested(in: "header") }
        let hexText = try f.string("header_hex", maxLength: 160)
        guard let raw = Hex.decode(hexText), let fromHex = try? BlockHeader(serialized: raw) else {
            throw RecordError(field: "header_hex", "must be the 80-byte header as 160 lowercase hex digits")
        }
        guard fromHex == parsedHeader else {
            throw RecordError(field: "header_hex", "does not encode the header fields given beside it")
        }
        header = parsedHeader
        guard f.has("stamp") == f.has("stamp_path") else {
            throw RecordError(field: f.has("stamp") ? "stamp_path" : "stamp", "stamp and stamp_path go together")
        }
        if f.has("stamp") {
            do { stamp = try Transaction(parsing: try f.object("stamp")) } catch { throw error.nested(in: "stamp") }
            stampPath = try Self.hashes(f, "stamp_path")
        } else {
            stamp = nil
            stampPath = nil
        }
    }

    /// What a check found: problems (empty when the proof holds) and facts.
    public struct Check: Sendable {
        public var problems: [String] = []
        public var merkleOK = false
        public var powOK = false
        public var signatureOK = false
        /// `tree_size` is the block's, as its stamp states; when false,
        /// `sizeUnchecked` says why (a block mined before stamps stated it).
        public var sizeOK = false
        public var sizeUnchecked: String?
    }

    /// The checks that need nothing but the proof: the transaction's
    /// signature, leaf → root through the audit path, `tree_size` = the
    /// count the block's stamp states (the stamp proven at leaf 0 of the
    /// same tree), root = the header's merkle, header hash = the block hash,
    /// and the hash meets its bits (`HeaderCheck`; the chain's limit is the
    /// header chain's to judge).
    public func check() -> Check {
        var c = Check()
        c.signatureOK = tx.hasValidSignature
        if !c.signatureOK { c.problems.append("signature: the transaction's Ed25519 signature does not verify") }
        let leaf = MerkleTree.leafHash(tx.leaf)
        if leafIndex >= treeSize {
            c.problems.append("merkle: leaf index \(leafIndex) is outside a tree of \(treeSize)")
        } else if MerkleProof.verifyInclusion(leafHash: leaf, index: leafIndex, treeSize: treeSize, proof: path, root: header.merkle) {
            c.merkleOK = true
        } else {
            c.problems.append("merkle: the audit path does not lead from the transaction to the header's merkle root \(header.merkle.displayHex)")
        }
        checkSize(&c)
        let hash = header.hash
        if hash != blockHash {
            c.problems.append("hash: the header hashes to \(hash.displayHex), not the block \(blockHash.displayHex)")
        }
        if let problem = HeaderCheck.proofOfWork(hash: hash, bits: header.bits, limit: nil) {
            c.problems.append(problem.description)
        } else {
            c.powOK = true
        }
        return c
    }

    /// RFC 6962 paths of one leaf verify for several tree sizes (leaf 6
    /// checks in trees of 300, 301, 302 or 512), so the size is read from
    /// the block's stamp, leaf 0 of the same tree under the same root.
    private func checkSize(_ c: inout Check) {
        let stampTx: Transaction
        if leafIndex == 0 {
            guard tx.type == .stamp else {
                c.problems.append("stamp: leaf 0 of a block is its stamp, not a \(tx.type.rawValue)")
                return
            }
            stampTx = tx
        } else if let stamp, let stampPath {
            guard MerkleProof.verifyInclusion(leafHash: MerkleTree.leafHash(stamp.leaf), index: 0, treeSize: treeSize,
                                              proof: stampPath, root: header.merkle) else {
                c.problems.append("merkle: the stamp's audit path does not lead to the header's merkle root as leaf 0 of \(treeSize)")
                return
            }
            stampTx = stamp
        } else {
            c.sizeUnchecked = "the proof carries no stamp, so its tree_size \(treeSize) is not checked"
            return
        }
        guard stampTx.type == .stamp, let body = try? Stamp(parsing: stampTx.body) else {
            c.problems.append("stamp: leaf 0 is not a valid stamp")
            return
        }
        if body.height != height {
            c.problems.append("stamp: the stamp says height \(body.height), the proof \(height)")
        }
        guard let count = body.txs else {
            c.sizeUnchecked = "the block's stamp does not state its size (mined before stamps did), so tree_size \(treeSize) is not checked"
            return
        }
        if UInt64(count) == treeSize { c.sizeOK = true } else {
            c.problems.append("merkle: tree_size \(treeSize) is not the block's \(count) transactions (as its stamp states)")
        }
    }
}
