/// Where `ehx-query block` and `headers` get their blocks: through a current
/// SQLite index beside the chain, each block is read where the index puts
/// it (its whole line for `block`, a few hundred bytes of its head for
/// `headers`), so neither reads the gigabytes of transactions before it;
/// without one, the chain's lines are read from the start by their heads.
/// What is read at an offset is held to what the index says is there
/// (height and hash): an index that no longer matches its chain is an
/// error, never a wrong answer.
public enum BlockSource {
    /// Bytes read at a block's offset for its header: a canonical head
    /// (hash, header object, height) is about 300.
    static let headBytes = 1024

    /// The block at `height` or with the hash `hash` (an id that reads as
    /// both is looked for as both): its frame, and the whole block when
    /// asked. Nil when the chain has none.
    public static func block(height: Int64?, hash: SHA256Digest?, chain: String, diagnostics: Diagnostics)
        throws(ToolError) -> (frame: ChainReader.Frame, block: () throws(ToolError) -> Block)? {
        let location = IndexLocation(ChainIndex.defaultPath(chain: chain))
        if let (db, cursor) = try ChainIndex.current(beside: chain, at: location, diagnostics: diagnostics) {
            let range = try db.reading { () throws(ToolError) -> (height: Int64, offset: Int64, length: Int64)? in
                if let height, let range = try db.blockRange(height: height) { return (height, range.offset, range.length) }
                if let hash { return try db.blockRange(hash: hash.displayHex) }
                return nil
            }
            guard let range else { return nil }
            let line = try cursor.read(at: range.offset, count: Int(range.length))
            let frame: ChainReader.Frame
            do { frame = try ChainReader.Frame(line: line) } catch {
                throw ToolError(.dataErr, "\(chain): the block \(db.name) puts at byte \(range.offset): \(error)")
            }
            guard frame.height == range.height, frame.height == height || frame.claimedHash == hash else {
                throw misplaced(chain: chain, index: db.name, height: range.height, found: frame.height, hash: frame.claimedHash)
            }
            return (frame, { () throws(ToolError) -> Block in
                do { return try BlockLine.parse(line) } catch {
                    throw ToolError(.dataErr, "\(chain): the block \(db.name) puts at byte \(range.offset): \(error)")
                }
            })
        }
        guard let (line, frame) = try ChainReader.firstFrame(path: chain, where: { $0.height == height || $0.claimedHash == hash }) else { return nil }
        return (frame, { () throws(ToolError) -> Block in try ChainReader.block(line, in: chain) })
    }

    /// Every block's header line, in height order; the genesis line with
    /// its transaction (the chain's rules).
    public static func forEachHeader(chain: String, diagnostics: Diagnostics,
                                     _ body: (HeaderLine) throws(ToolError) -> Void) throws(ToolError) {
        let location = IndexLocation(ChainIndex.defaultPath(chain: chain))
        if let (db, cursor) = try ChainIndex.current(beside: chain, at: location, diagnostics: diagnostics) {
            var ranges: [(height: Int64, hash: String, offset: Int64, length: Int64)] = []
            try db.reading { () throws(ToolError) in
                try db.forEachBlockRange { (height, hash, offset, length) throws(ToolError) in ranges.append((height, hash, offset, length)) }
            }
            for (expected, range) in ranges.enumerated() {
                guard range.height == Int64(expected) else {
                    throw ToolError(.dataErr, "\(db.name): no block row at height \(expected); delete the index and run ehx-query index")
                }
                let header = try headerLine(at: range.offset, length: range.length, height: range.height, cursor: cursor, chain: chain, index: db.name)
                guard header.height == range.height, header.hash.displayHex == range.hash else {
                    throw misplaced(chain: chain, index: db.name, height: range.height, found: header.height, hash: header.hash)
                }
                try body(header)
            }
            return
        }
        try ChainReader.forEachFrame(path: chain) { (line, frame) throws(ToolError) in
            // Only the genesis line's transactions are needed (its rules).
            try body(frame.height == 0 ? HeaderLine(block: try ChainReader.block(line, in: chain))
                : HeaderLine(height: frame.height, hash: frame.claimedHash, header: frame.header))
        }
    }

    /// The header line of the block at `offset`: from its head alone, or
    /// its whole line for the genesis block and for a line whose head is
    /// not laid out canonically.
    private static func headerLine(at offset: Int64, length: Int64, height: Int64, cursor: ChainCursor,
                                   chain: String, index: String) throws(ToolError) -> HeaderLine {
        if height > 0, let head = BlockLine.head(of: try cursor.read(at: offset, count: Int(min(length, Int64(headBytes))))) {
            return HeaderLine(height: head.height, hash: head.claimedHash, header: head.header)
        }
        do {
            let line = try cursor.read(at: offset, count: Int(length))
            if height == 0 { return HeaderLine(block: try BlockLine.parse(line)) }
            let frame = try ChainReader.Frame(line: line)
            return HeaderLine(height: frame.height, hash: frame.claimedHash, header: frame.header)
        } catch let failure as ToolError {
            throw failure
        } catch {
            throw ToolError(.dataErr, "\(chain): the block \(index) puts at byte \(offset): \(error)")
        }
    }

    private static func misplaced(chain: String, index: String, height: Int64, found: Int64, hash: SHA256Digest) -> ToolError {
        ToolError(.dataErr, "\(chain): \(index) puts block \(height) where the chain holds block \(found) \(hash.displayHex); delete the index and run ehx-query index")
    }
}
