#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ChainIndex {
    /// The SQLite index at `location` and a cursor on the chain, when the
    /// index exists and covers the chain as it is; otherwise nil, after a
    /// warning saying why (a broken index never stops a query: the chain
    /// is the truth).
    static func current(beside chain: String, at location: IndexLocation,
                        diagnostics: Diagnostics) throws(ToolError) -> (ChainIndex, ChainCursor)? {
        guard chain != "-", case .sqlite(let indexPath) = location, !indexPath.isEmpty, access(indexPath, F_OK) == 0 else { return nil }
        let cursor = try ChainCursor(path: chain)
        do throws(ToolError) {
            let db = try ChainIndex(location: location, create: false)
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
            diagnostics.warning("\(indexPath): \(error.description); scanning the chain")
        }
        return nil
    }
}
