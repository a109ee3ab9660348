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


    /// Every indexed block's place in the chain file, by height.
    func forEachBlockRange(_ body: (_ height: Int64, _ hash: String, _ offset: Int64, _ length: Int64) throws(ToolError) -> Void) throws(ToolError) {
        try db.query("SELECT height, hash, byte_offset, byte_length FROM blocks ORDER BY height", []) { row throws(ToolError) in
            guard row.count == 4, let height = row[0].integer, let hash = row[1].text, let offset = row[2].integer,
                  let length = row[3].integer else { throw ToolError(.dataErr, "\(name): a block row without its height, hash or place") }
            try body(height, hash, offset, length)
        }
    }

    /// The block with this display hash: its height and place, if indexed.
    func blockRange(hash: String) throws(ToolError) -> (height: Int64, offset: Int64, length: Int64)? {
        guard let row = try db.first("SELECT height, byte_offset, byte_length FROM blocks WHERE hash = ?", [.text(hash)]),
              let height = row[0].integer, let offset = row[1].integer, let length = row[2].integer else { return nil }
        return (height, offset, length)
    }
}
