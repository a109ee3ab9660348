@testable import EHXShared

extension ChainIndex {
    /// The block holding `txid` (its height and the tx's index), if indexed.
    func locate(txid: String) throws(ToolError) -> (height: Int64, index: Int)? {
        guard let row = try db.prepare("SELECT height, idx FROM txs WHERE txid = ? ORDER BY height LIMIT 1").first([.text(txid)]),
              let h = row[0].integer, let i = row[1].integer else { return nil }
        return (h, Int(i))
    }
}
