#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `ehx-query txs` gets its transactions: the SQLite index when it is
/// current, else a scan of the chain file (saying why on stderr when an
/// index exists but is stale).
public enum TxSource {
    public enum Origin: Sendable, Equatable { case index, scan }

    /// Calls `body` with the canonical bytes (and, on a scan, the parsed
    /// transaction) of every transaction matching `filter`, in chain order.
    /// `index`: the index file to use (nil: the default beside the chain;
    /// "" or `useIndex` false: never).
    @discardableResult
    public static func forEachMatch(chain: String, filter: TxFilter, index: String?, useIndex: Bool = true,
                                    diagnostics: Diagnostics,
                                    _ body: (_ bytes: [UInt8], _ tx: Transaction?) throws(ToolError) -> Void) throws(ToolError) -> Origin {
        if useIndex, let (db, cursor) = try currentIndex(chain: chain, index: index, diagnostics: diagnostics) {
            // Past this point output has begun: a failure is a failure.
            try db.matches(filter) { (offset, length) throws(ToolError) in
                try body(try cursor.read(at: offset, count: length), nil)
            }
            return .index
        }
        try ChainReader.forEachBlock(path: chain) { (_, block, _) throws(ToolError) in
            for tx in block.txs where filter.matches(tx) {
                try body(tx.leaf, tx)
            }
        }
        return .scan
    }

    /// The chain's genesis and tip, as the pages that cite them show them.
    public struct Tip: Sendable, Equatable {
        public var genesis = ""
        public var hash = ""
        public var height: Int64 = -1
        public var time: Int64 = 0
    }

    /// As `forEachMatch`, with each transaction parsed and the height and
    /// hash of its block (`report`, `fhir`), of any of `types` when given;
    /// returns where they came from and the chain's tip. The same
    /// transactions in the same order either way.
    @discardableResult
    public static func forEachLocated(chain: String, filter: TxFilter, types: [TxType]? = nil, index: String?, useIndex: Bool = true,
                                      diagnostics: Diagnostics,
                                      _ body: (_ tx: Transaction, _ height: Int64, _ blockHash: SHA256Digest) throws(ToolError) -> Void)
                                      throws(ToolError) -> (origin: Origin, tip: Tip) {
        var tip = Tip()
        if useIndex, let (db, cursor) = try currentIndex(chain: chain, index: index, diagnostics: diagnostics) {
            var hashes: [Int64: SHA256Digest] = [:]
            func hash(_ height: Int64) throws(ToolError) -> SHA256Digest {
                if let known = hashes[height] { return known }
                guard let block = try db.block(height: height), let digest = SHA256Digest(displayHex: block.hash) else {
                    throw ToolError(.dataErr, "\(db.path): no block \(height) (damaged index? delete it and run ehx-query index)")
                }
                hashes[height] = digest
                return digest
            }
            try db.matches(filter, types: types) { (offset, length, height) throws(ToolError) in
                let bytes = try cursor.read(at: offset, count: length)
                let tx: Transaction
                do { tx = try Transaction(parsing: try JSONValue.parse(bytes)) } catch {
                    throw ToolError(.dataErr, "\(chain): transaction at byte \(offset): \(error) (changed since it was indexed?)")
                }
                try body(tx, height, try hash(height))
            }
            if let coverage = try db.coverage(), let block = try db.block(height: coverage.height) {
                tip = Tip(genesis: try db.block(height: 0)?.hash ?? "", hash: coverage.tip, height: coverage.height, time: block.time)
            }
            return (.index, tip)
        }
        try ChainReader.forEachBlock(path: chain) { (_, block, _) throws(ToolError) in
            if block.height == 0 { tip.genesis = block.claimedHash.displayHex }
            tip.hash = block.claimedHash.displayHex
            tip.height = block.height
            tip.time = Int64(block.header.time)
            for tx in block.txs where filter.matches(tx) && (types.map { $0.contains(tx.type) } ?? true) {
                try body(tx, block.height, block.claimedHash)
            }
        }
        return (.scan, tip)
    }

    /// The index beside the chain (or `index`) when it covers the chain as
    /// it is now; nil, saying why on stderr when one exists, otherwise.
    static func currentIndex(chain: String, index: String?, diagnostics: Diagnostics) throws(ToolError) -> (ChainIndex, ChainCursor)? {
        let indexPath = index ?? ChainIndex.defaultPath(chain: chain)
        guard chain != "-", !indexPath.isEmpty, access(indexPath, F_OK) == 0 else { return nil }
        let cursor = try ChainCursor(path: chain)
        do {
            let db = try ChainIndex(path: indexPath, create: false)
            switch try db.freshness(chain: cursor) {
            case .current:
                return (db, cursor)
            case .behind(let c, let size):
                diagnostics.warning("\(indexPath) is stale: it covers height \(c.height) (\(c.bytes) of \(size) bytes); scanning the chain (run ehx-query index to update it)")
            case .mismatch(let why):
                diagnostics.warning("\(indexPath) is stale: \(why); scanning the chain (run ehx-query index to rebuild it)")
            case .empty:
                diagnostics.warning("\(indexPath) is empty; scanning the chain")
            }
        } catch {
            // A broken index never stops a query: the chain is the truth.
            diagnostics.warning("\(indexPath): \(error.description); scanning the chain")
        }
        return nil
    }
}
