/// The header chain of `ehx-verify --proof --headers` (a light client): every
/// line judged by `HeaderTrail`, so by the one `HeaderCheck` the validator
/// uses, with the chain's rules when the genesis line carries them (its
/// retarget and limit) and the genesis header's bits as the limit when it
/// does not. It cannot know whether a signer held a role: its assurance is
/// the work it adds up and the anchors it reaches (ehx.7, the pin table).
public struct HeaderChain: Sendable {
    public private(set) var trail = HeaderTrail()
    public private(set) var byHeight: [Int64: SHA256Digest] = [:]
    public private(set) var first: Int64 = -1
    public private(set) var last: Int64 = -1
    /// Who signed the genesis rules, when the genesis line carried them and
    /// they hold (signed, committed to by the genesis header, signer among
    /// the authorities they name).
    public private(set) var genesisSigner: Ed25519.PublicKey?
    public private(set) var problems: [String] = []

    public init() {}

    public var tip: SHA256Digest? { trail.tip }
    public var work: ChainWork { trail.work }
    /// The rules came from a genesis transaction checked against its header.
    public var knowsRules: Bool { trail.rules != nil }

    /// Adds the next line (`number` for messages).
    public mutating func add(_ line: HeaderLine, number: Int) {
        let at = "line \(number): height \(line.height)"
        if trail.tip == nil {
            first = line.height
            if let genesis = line.genesis {
                switch Self.rules(of: genesis, header: line.header) {
                case .success(let rules):
                    trail.adopt(rules)
                    genesisSigner = genesis.signer
                case .failure(let problem):
                    problems.append("\(at): \(problem)")
                }
            }
        } else if line.genesis != nil {
            problems.append("\(at): genesis: a genesis transaction after the first line")
        }
        for problem in trail.add(line.header, claimedHash: line.hash, height: line.height) {
            problems.append("\(at): \(problem)")
        }
        last = line.height
        byHeight[line.height] = line.header.hash
    }

    /// The rules a genesis transaction carries, if it is the genesis block's
    /// only transaction (its leaf hash is the header's merkle root), its
    /// signature holds and its signer is one of the authorities it names.
    static func rules(of tx: Transaction, header: BlockHeader) -> Result<ChainRules, ChainProblem> {
        guard tx.type == .genesis, let rules = try? ChainRules(parsing: tx.body) else {
            return .failure(ChainProblem(.genesis, "the genesis line's transaction is not a valid genesis"))
        }
        guard MerkleTree.leafHash(tx.leaf) == header.merkle else {
            return .failure(ChainProblem(.merkle, "the genesis transaction is not the genesis header's only transaction"))
        }
        guard tx.hasValidSignature else {
            return .failure(ChainProblem(.signature, "the genesis transaction's signature does not verify"))
        }
        guard rules.authorities.contains(tx.signer) else {
            return .failure(ChainProblem(.genesis, "genesis is not signed by one of the authorities it names"))
        }
        return .success(rules)
    }
}
