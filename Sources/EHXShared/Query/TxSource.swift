#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `ehx-query txs`, `fhir` and `report` get their transactions: an
/// index, or a scan of the chain file. A SQLite index is used only while it
/// is current, else the chain is scanned (saying why on stderr); PostgreSQL
/// answers as of the tip it holds, which needs no chain file on this
/// machine (a local chain that is further along is mentioned on stderr).
public enum TxSource {
    public enum Origin: Sendable, Equatable { case index, scan }

    /// What answered, and the chain it answered for (nil: nothing read).
    public struct Answer: Sendable {
        public let origin: Origin
        public let tip: ChainTip?
        /// The database that answered by itself, without the chain file
        /// (PostgreSQL, named without a password); nil when the chain file
        /// was read (a scan, or a SQLite index, which points into it).
        public var database: String? = nil
    }

    /// Calls `body` with every transaction matching `filter`, in chain order.
    /// `index`: nil for the SQLite file beside the chain (when it exists);
    /// "" never; a `postgres://` URI or a SQLite path (`IndexLocation`).
    /// `useIndex` false always scans. `alongside`: transactions of this
    /// type are passed too, matching or not, in their place in chain order
    /// (a reader's key grants, which decide what its key may open); the
    /// caller tells them apart with `filter.matches`.
    @discardableResult
    public static func forEachMatch(chain: String, filter: TxFilter, index: String?, useIndex: Bool = true,
                                    alongside: TxType? = nil, diagnostics: Diagnostics,
                                    _ body: (IndexedTransaction) throws(ToolError) -> Void) throws(ToolError) -> Answer {
        let location = IndexLocation(index ?? ChainIndex.defaultPath(chain: chain))
        if useIndex, case .postgres = location {
            return try answer(from: ChainIndex(location: location, create: false), chain: chain, filter: filter,
                              alongside: alongside, diagnostics: diagnostics, body)
        }
        if useIndex, let (db, cursor) = try ChainIndex.current(beside: chain, at: location, diagnostics: diagnostics) {
            // Past this point output has begun: a failure is a failure.
            return try db.reading { () throws(ToolError) -> Answer in
                try db.matches(filter, alongside: alongside, chain: cursor, body)
                return Answer(origin: .index, tip: try db.tip())
            }
        }
        var genesis = ""
        var tip: ChainTip?
        // Read on every core a window ahead (a scan answers as the chain
        // reads; it does not judge signatures: ehx-verify does).
        try ChainReader.forEachPreparedBlock(path: chain, threads: ParallelStage.onlineCores,
                                             checkingSignatures: false) { (block, _, _) throws(ToolError) in
            let hash = block.claimedHash.displayHex
            if block.height == 0 { genesis = hash }
            tip = ChainTip(genesis: genesis, hash: hash, height: block.height, time: Int64(block.header.time))
            for (i, tx) in block.txs.enumerated() where filter.matches(tx) || (alongside != nil && tx.type == alongside) {
                try body(IndexedTransaction(height: block.height, index: i, blockHash: hash, bytes: tx.leaf, parsed: tx))
            }
        }
        return Answer(origin: .scan, tip: tip)
    }

    /// The block holding `txid` and the transaction's place in it: through
    /// a current SQLite index beside the chain (one block line read at its
    /// offset), else by reading the chain up to that block.
    public static func block(holding txid: SHA256Digest, chain: String, diagnostics: Diagnostics) throws(ToolError) -> (block: Block, index: Int)? {
        func place(in block: Block) -> (block: Block, index: Int)? {
            block.txs.firstIndex { $0.txid == txid }.map { (block, $0) }
        }
        let location = IndexLocation(ChainIndex.defaultPath(chain: chain))
        if let (db, cursor) = try ChainIndex.current(beside: chain, at: location, diagnostics: diagnostics) {
            let line = try db.reading { () throws(ToolError) -> [UInt8]? in
                guard let (height, _) = try db.locate(txid: txid.hex), let (offset, length) = try db.blockRange(height: height) else { return nil }
                return try cursor.read(at: offset, count: Int(length))
            }
            guard let line else { return nil }
            do { return place(in: try BlockLine.parse(line)) } catch {
                throw ToolError(.dataErr, "\(chain): the block the index points to: \(error)")
            }
        }
        // Each canonical transaction's txid is the SHA-256 of its line
        // without the sig member, found by its layout: only a block that may
        // hold the txid (or one not laid out canonically) is parsed whole.
        var found: (block: Block, index: Int)?
        var unsigned: [UInt8] = []
        try ChainReader.forEachSplitLine(path: chain) { (line, split) throws(ToolError) -> Bool in
            if let split, !mayHold(txid, line.bytes, split, scratch: &unsigned) { return true }
            found = place(in: try ChainReader.block(line, in: chain))
            return found == nil
        }
        return found
    }

    /// False only when every transaction of the cut line is laid out as a
    /// canonical transaction and none has this txid. A line that parses
    /// whole holds canonical transactions only, so it is never passed over
    /// wrongly; a transaction not laid out so sends the line to the parse.
    static func mayHold(_ txid: SHA256Digest, _ line: [UInt8], _ split: BlockLine.Split, scratch: inout [UInt8]) -> Bool {
        line.withUnsafeBytes { raw in
            for range in split.txs {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
                guard let envelope = CanonicalEnvelope(bytes) else { return true }
                envelope.unsigned(of: bytes, into: &scratch)
                if SHA256.hash(scratch) == txid { return true }
            }
            return false
        }
    }

    /// A database that holds the transactions answers by itself, as of its
    /// tip, in one snapshot.
    private static func answer(from index: ChainIndex, chain: String, filter: TxFilter, alongside: TxType?, diagnostics: Diagnostics,
                               _ body: (IndexedTransaction) throws(ToolError) -> Void) throws(ToolError) -> Answer {
        try index.reading { () throws(ToolError) -> Answer in
            guard let tip = try index.tip() else {
                throw ToolError(.noInput, "\(index.name): the index is empty (run ehx-query index --db URI)")
            }
            if chain != "-", access(chain, R_OK) == 0, let cursor = try? ChainCursor(path: chain) {
                switch try? index.freshness(chain: cursor) {
                case .behind(let c, _)?:
                    diagnostics.warning("\(index.name) covers height \(c.height); \(chain) has more blocks: answering as of height \(c.height) (run ehx-query index --db URI to update it)")
                case .mismatch(let why)?:
                    diagnostics.warning("\(index.name) is not \(chain)'s index (\(why)); answering from the database as of height \(tip.height)")
                default:
                    break
                }
            }
            try index.matches(filter, alongside: alongside, chain: nil, body)
            return Answer(origin: .index, tip: tip, database: index.name)
        }
    }
}
