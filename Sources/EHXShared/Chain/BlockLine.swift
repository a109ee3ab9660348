/// Reading one chain-file line into a Block, with the canonical-form check
/// that makes any byte change of an exported chain visible.
public enum BlockLine {
    public static func parse(_ bytes: [UInt8]) throws(ChainProblem) -> Block {
        try parseWithRoot(bytes).block
    }

    /// Parses, checks the canonical form and computes the Merkle root, each
    /// transaction serialized once: the canonical block line is assembled
    /// (`layout`) from the same leaves the Merkle tree hashes.
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
        let head = layoutHead(hash: hash.canonicalBytes(), header: header.canonicalBytes(), height: height.canonicalBytes())
        let canonical = layout(head: head, leaves: leaves, newline: false)
        if canonical != bytes {
            throw ChainProblem(.canonical, "the line is not the canonical (RFC 8785) form of its block")
        }
        return (block, MerkleTree.root(leaves: leaves))
    }

    // MARK: - The layout

    /// The one statement of a block line's layout. A block object has
    /// exactly the members hash, header, height and txs, which is their JCS
    /// order, so its canonical form is this head (everything up to the
    /// first transaction), the leaves (each transaction's canonical form)
    /// joined by commas, and `]}`. Members given as canonical bytes.
    static func layoutHead(hash: [UInt8], header: [UInt8], height: [UInt8]) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(hash.count + header.count + height.count + 40)
        head += Array(#"{"hash":"#.utf8) + hash
        head += Array(#","header":"#.utf8) + header
        head += Array(#","height":"#.utf8) + height
        head += Array(#","txs":["#.utf8)
        return head
    }

    /// The whole line after `head`; with `newline`, as the chain file holds it.
    static func layout(head: [UInt8], leaves: [[UInt8]], newline: Bool) -> [UInt8] {
        var line = head
        line.reserveCapacity(leaves.reduce(head.count + 3) { $0 + $1.count + 1 })
        for (i, leaf) in leaves.enumerated() {
            if i > 0 { line.append(0x2c) }
            line += leaf
        }
        line += Array((newline ? "]}\n" : "]}").utf8)
        return line
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
