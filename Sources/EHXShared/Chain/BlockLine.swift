/// Reading one chain-file line into a Block, with the canonical-form check
/// that makes any byte change of an exported chain visible.
public enum BlockLine {
    public static func parse(_ bytes: [UInt8]) throws(ChainProblem) -> Block {
        try parseWithRoot(bytes).block
    }

    /// Parses, checks the canonical form and computes the Merkle root, each
    /// transaction serialized once: the canonical block line is assembled from
    /// the same leaves the Merkle tree hashes (a block object has exactly the
    /// members hash, header, height and txs, in that JCS order).
    public static func parseWithRoot(_ bytes: [UInt8]) throws(ChainProblem) -> (block: Block, merkleRoot: SHA256Digest) {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch {
            throw ChainProblem(.json, error.description)
        }
        let block: Block
        do { block = try Block(parsing: json) } catch {
            throw ChainProblem(.schema, error.description)
        }
        // Checked after the schema so that a record with a wrong field is
        // reported as such, not merely as "not canonical".
        let leaves = block.txs.map(\.leaf)
        guard let members = json.objectValue, let hash = members["hash"], let header = members["header"],
              let height = members["height"] else {
            throw ChainProblem(.schema, "not a block object")
        }
        var canonical: [UInt8] = []
        canonical.reserveCapacity(bytes.count)
        canonical += Array(#"{"hash":"#.utf8) + hash.canonicalBytes()
        canonical += Array(#","header":"#.utf8) + header.canonicalBytes()
        canonical += Array(#","height":"#.utf8) + height.canonicalBytes()
        canonical += Array(#","txs":["#.utf8)
        for (i, leaf) in leaves.enumerated() {
            if i > 0 { canonical.append(0x2c) }
            canonical += leaf
        }
        canonical += Array("]}".utf8)
        if canonical != bytes {
            throw ChainProblem(.canonical, "the line is not the canonical (RFC 8785) form of its block")
        }
        return (block, MerkleTree.root(leaves: leaves))
    }
}

extension ChainProblem: Error {}

/// Streams a chain file block by block for tools that need it readable but
/// leave judging it to ehx-verify (ehx-query); the tools that must vouch for
/// the chain before acting on it start from `LocalChain`.
public enum ChainReader {
    /// Calls `body` for every block in order with the line it came from; the
    /// first unreadable line stops the walk with an error naming the file and line.
    public static func forEachLine(path: String, _ body: (_ line: LineReader.Line, _ block: Block) throws(ToolError) -> Void) throws(ToolError) {
        let reader = try LineReader(path: path)
        var any = false
        while let line = try reader.next() {
            guard line.terminated else {
                throw ToolError(.dataErr, "\(reader.name):\(line.number): truncated: the last line has no newline (a torn write?)")
            }
            let block: Block
            do { block = try BlockLine.parse(line.bytes) } catch {
                throw ToolError(.dataErr, "\(reader.name):\(line.number): \(error)")
            }
            any = true
            try body(line, block)
        }
        if !any { throw ToolError(.dataErr, "\(reader.name): empty chain (no genesis block)") }
    }

    /// As `forEachLine`, with the line's number and length (newline included).
    public static func forEachBlock(path: String, _ body: (_ line: Int, _ block: Block, _ bytes: Int) throws(ToolError) -> Void) throws(ToolError) {
        try forEachLine(path: path) { (line, block) throws(ToolError) in
            try body(line.number, block, line.bytes.count + 1)
        }
    }
}
