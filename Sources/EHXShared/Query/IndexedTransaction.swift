/// One transaction as a query finds it: its block and its canonical bytes
/// (the Merkle leaf, printed as is), parsed only when someone needs the fields.
public struct IndexedTransaction: Sendable {
    public let height: Int64
    /// Its position in the block.
    public let index: Int
    /// The block's hash as the chain file shows it (byte-reversed hex).
    public let blockHash: String
    public let bytes: [UInt8]
    /// Set when the transaction came from a scan, which parsed it anyway.
    public let parsed: Transaction?
    /// The txid as the index stores it, so a listing need not parse.
    private let storedTxid: String?

    public init(height: Int64, index: Int, blockHash: String, bytes: [UInt8], parsed: Transaction? = nil, txid: String? = nil) {
        self.height = height
        self.index = index
        self.blockHash = blockHash
        self.bytes = bytes
        self.parsed = parsed
        self.storedTxid = txid
    }

    /// The txid in hex, from the index or the parsed transaction.
    public func txid() throws(ToolError) -> String {
        if let storedTxid { return storedTxid }
        return try transaction().txid.hex
    }

    /// The parsed transaction; bytes that do not parse name the block.
    public func transaction() throws(ToolError) -> Transaction {
        if let parsed { return parsed }
        do throws(ToolError) {
            let json: JSONValue
            do { json = try JSONValue.parse(bytes) } catch { throw ToolError(.dataErr, error.description) }
            do { return try Transaction(parsing: json) } catch { throw ToolError(.dataErr, error.description) }
        } catch {
            throw ToolError(.dataErr, "block \(height) transaction \(index): \(error.description)")
        }
    }
}
