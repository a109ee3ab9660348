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

    /// One matching transaction: its canonical bytes as on the chain, the
    /// parsed transaction when a scan has it, its block's height and its txid.
    public struct Match {
        public let bytes: [UInt8]
        public let tx: Transaction?
        public let height: Int64
        public let txid: String

        public init(bytes: [UInt8], tx: Transaction?, height: Int64, txid: String) {
            self.bytes = bytes
            self.tx = tx
            self.height = height
            self.txid = txid
        }

        public init(_ tx: Transaction, height: Int64) {
            self.init(bytes: tx.leaf, tx: tx, height: height, txid: tx.txid.hex)
        }
    }

    /// Calls `body` with every transaction matching `filter`, in chain order.
    /// `index`: the index file to use (nil: the default beside the chain;
    /// "" or `useIndex` false: never).
    @discardableResult
    public static func forEachMatch(chain: String, filter: TxFilter, index: String?, useIndex: Bool = true,
                                    diagnostics: Diagnostics,
                                    _ body: (Match) throws(ToolError) -> Void) throws(ToolError) -> Origin {
        let indexPath = index ?? ChainIndex.defaultPath(chain: chain)
        if useIndex && chain != "-" && !indexPath.isEmpty && access(indexPath, F_OK) == 0 {
            let cursor = try ChainCursor(path: chain)
            var usable: ChainIndex?
            do {
                let db = try ChainIndex(path: indexPath, create: false)
                switch try db.freshness(chain: cursor) {
                case .current:
                    usable = db
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
            if let db = usable {
                // Past this point output has begun: a failure is a failure.
                try db.matches(filter) { (offset, length, height, txid) throws(ToolError) in
                    try body(Match(bytes: try cursor.read(at: offset, count: length), tx: nil, height: height, txid: txid))
                }
                return .index
            }
        }
        try ChainReader.forEachBlock(path: chain) { (_, block, _) throws(ToolError) in
            for tx in block.txs where filter.matches(tx) {
                try body(Match(tx, height: block.height))
            }
        }
        return .scan
    }
}
