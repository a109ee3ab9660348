/// The chain an answer comes from: its genesis and its tip (what a page or
/// a FHIR bundle names as its source).
public struct ChainTip: Sendable, Equatable {
    /// The genesis block's hash ("" when not known).
    public let genesis: String
    public let hash: String
    public let height: Int64
    /// The tip block's header time (Unix seconds).
    public let time: Int64

    public init(genesis: String, hash: String, height: Int64, time: Int64) {
        self.genesis = genesis
        self.hash = hash
        self.height = height
        self.time = time
    }
}
