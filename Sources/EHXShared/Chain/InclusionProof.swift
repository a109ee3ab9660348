/// A self-contained proof that one transaction is in one block
/// (`ehx-query proof`), checked without the chain by `ehx-verify --proof`:
/// leaf → RFC 6962 root → 80-byte header (hash, proof of work at its bits)
/// → a header chain (`ehx-query headers`) that reaches a pinned genesis,
/// checkpoint or tip. The proof alone shows consistency; only the pins say
/// which chain it belongs to.
///
/// ```
/// {"format":"ehx-inclusion-proof-v1","txid":…,"tx":{…},"leaf_index":i,"tree_size":n,
///  "path":["<hex>",…],"height":h,"block":"<hash>","header":{…},"header_hex":"<160 hex>"}
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
    }

    public var json: JSONValue {
        [
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
    }

    /// Parses a proof object. Structure only: `check` judges it.
    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["format", "txid", "tx", "leaf_index", "tree_size", "path", "height",
                                                 "block", "header", "header_hex"])
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
        var hashes: [SHA256Digest] = []
        for (i, item) in try f.array("path").enumerated() {
            guard let text = item.stringValue, let digest = SHA256Digest(hex: text) else {
                throw RecordError(field: "path[\(i)]", "must be 64 lowercase hex digits")
            }
            hashes.append(digest)
        }
        guard hashes.count <= 64 else { throw RecordError(field: "path", "longer than any tree") }
        path = hashes
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
    }

    /// What a check found: problems (empty when the proof holds) and facts.
    public struct Check: Sendable {
        public var problems: [String] = []
        public var merkleOK = false
        public var powOK = false
        public var signatureOK = false
    }

    /// The checks that need nothing but the proof: the transaction's
    /// signature, leaf → root through the audit path, root = the header's
    /// merkle, header hash = the block hash, and the hash meets its bits.
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
        let hash = header.hash
        if hash != blockHash {
            c.problems.append("hash: the header hashes to \(hash.displayHex), not the block \(blockHash.displayHex)")
        }
        do {
            let target = try CompactTarget(bits: header.bits)
            if target.isMet(by: hash) { c.powOK = true } else {
                c.problems.append("pow: hash \(hash.displayHex) is above the target for bits \(target.bitsHex)")
            }
        } catch {
            c.problems.append("bits: \(error)")
        }
        return c
    }
}

/// One line of `ehx-query headers`: `{"hash":…,"header":"<160 hex>","height":h}`.
public struct HeaderLine: Sendable {
    public let height: Int64
    public let hash: SHA256Digest
    public let header: BlockHeader

    public init(block: Block) {
        height = block.height
        hash = block.claimedHash
        header = block.header
    }

    public var json: JSONValue {
        ["height": .number(Double(height)), "hash": .string(hash.displayHex), "header": .string(Hex.encode(header.serialized))]
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["height", "hash", "header"])
        height = try f.integer("height", in: 0...Int64(UInt32.max))
        guard let h = SHA256Digest(displayHex: try f.string("hash", maxLength: 64)) else {
            throw RecordError(field: "hash", "must be 64 lowercase hex digits")
        }
        hash = h
        guard let raw = Hex.decode(try f.string("header", maxLength: 160)), let parsed = try? BlockHeader(serialized: raw) else {
            throw RecordError(field: "header", "must be the 80-byte header as 160 lowercase hex digits")
        }
        header = parsed
    }
}

/// A header chain checked for work and linkage alone (a light client):
/// each header hashes to its line's hash and meets its own bits; heights
/// go up by one; each `prev` is the hash before. It does not know the
/// chain's rules, so it cannot say the bits were the required ones: its
/// assurance is the work it adds up and the pins it reaches.
public struct HeaderChain: Sendable {
    public private(set) var byHeight: [Int64: SHA256Digest] = [:]
    public private(set) var first: Int64 = -1
    public private(set) var last: Int64 = -1
    public private(set) var tip: SHA256Digest?
    public private(set) var work = ChainWork.zero
    public private(set) var problems: [String] = []

    public init() {}

    /// Adds the next line (`number` for messages).
    public mutating func add(_ line: HeaderLine, number: Int) {
        let hash = line.header.hash
        if hash != line.hash {
            problems.append("line \(number): height \(line.height): hash: the header hashes to \(hash.displayHex), not \(line.hash.displayHex)")
        }
        if let target = try? CompactTarget(bits: line.header.bits) {
            if !target.isMet(by: hash) {
                problems.append("line \(number): height \(line.height): pow: hash above the target for bits \(target.bitsHex)")
            }
            work += ChainWork(of: target)
        } else {
            problems.append("line \(number): height \(line.height): bits: \(Block.hexBits(line.header.bits)) is not a valid compact target")
        }
        if let tip {
            if line.height != last + 1 {
                problems.append("line \(number): height \(line.height) follows height \(last)")
            }
            if line.header.prev != tip {
                problems.append("line \(number): height \(line.height): prev: \(line.header.prev.displayHex) is not the hash before (\(tip.displayHex))")
            }
        } else {
            first = line.height
            if line.height == 0 && line.header.prev != .zero {
                problems.append("line \(number): height 0: prev: a genesis header links to zero")
            }
        }
        last = line.height
        tip = hash
        byHeight[line.height] = hash
    }
}

/// `ehx-verify --proof`: one proof judged against an optional header chain
/// and the auditor's pins (DESIGN "Trust": a proof is worth only as much as
/// the header chain it ends in).
public struct ProofVerdict: Sendable {
    public let txid: SHA256Digest
    public let problems: [String]
    /// What pinned the proof's block, nil when nothing did.
    public let pinnedBy: String?

    public var isValid: Bool { problems.isEmpty }

    public var verdict: String {
        let txText = "tx \(txid.hex)"
        if !problems.isEmpty { return "\(txText): INVALID: \(problems.count) problem\(problems.count == 1 ? "" : "s")" }
        guard let pinnedBy else { return "\(txText): consistent, not pinned (give --genesis, --checkpoint or --expect-tip)" }
        return "\(txText): valid (\(pinnedBy))"
    }

    public init(proof: InclusionProof, headers: HeaderChain?, pins: ChainPins) {
        txid = proof.tx.txid
        var problems = proof.check().problems
        var pinned: [String] = []
        let block = proof.blockHash
        let h = proof.height
        if pins.authority != nil {
            problems.append("pin: --authority needs the genesis transaction, which a proof does not carry; pin --genesis instead")
        }
        if let headers {
            problems += headers.problems
            if headers.tip == nil {
                problems.append("headers: no header lines")
            } else if let inChain = headers.byHeight[h] {
                if inChain != block {
                    problems.append("headers: block \(h) is \(inChain.displayHex) in the header chain, not the proof's \(block.displayHex)")
                }
            } else {
                problems.append("headers: the header chain (heights \(headers.first)...\(headers.last)) does not hold block \(h)")
            }
            if let g = pins.genesis ?? pins.checkpoints[0] {
                if headers.byHeight[0] == g { pinned.append("genesis pinned") } else {
                    problems.append("pin: the header chain does not start at the pinned genesis \(g.displayHex)")
                }
            }
            for (height, hash) in pins.checkpoints.sorted(by: { $0.key < $1.key }) where height != 0 {
                if headers.byHeight[height] == hash { pinned.append("checkpoint \(height)") } else {
                    problems.append("pin: the header chain does not hold the checkpoint \(height):\(hash.displayHex)")
                }
            }
            if let tip = pins.expectTip {
                if headers.tip == tip { pinned.append("tip pinned") } else {
                    problems.append("pin: the header chain ends at \(headers.tip?.displayHex ?? "nothing"), not the expected tip \(tip.displayHex)")
                }
            }
            if !pinned.isEmpty {
                pinned.append("\(headers.last - headers.first + 1) headers, block \(h) \(block.displayHex)")
            }
        } else {
            // Without headers only the proof's own block can be pinned.
            var any = false
            for (height, hash) in pins.checkpoints {
                any = true
                if height == h && hash == block { pinned.append(height == 0 ? "genesis pinned" : "checkpoint \(height)") } else {
                    problems.append("pin: checkpoint \(height):\(hash.displayHex) is not the proof's block \(h) \(block.displayHex); give --headers to reach it")
                }
            }
            if let g = pins.genesis, pins.checkpoints[0] == nil {
                any = true
                if h == 0 && g == block { pinned.append("genesis pinned") } else {
                    problems.append("pin: the proof's block \(h) is not the pinned genesis; give --headers to link it")
                }
            }
            if let tip = pins.expectTip {
                any = true
                if tip == block { pinned.append("tip pinned") } else {
                    problems.append("pin: the proof's block \(block.displayHex) is not the expected tip \(tip.displayHex); give --headers to link it")
                }
            }
            if any && !pinned.isEmpty { pinned.append("block \(h) \(block.displayHex)") }
        }
        self.problems = problems
        pinnedBy = problems.isEmpty && !pinned.isEmpty ? pinned.joined(separator: ", ") : nil
    }
}
