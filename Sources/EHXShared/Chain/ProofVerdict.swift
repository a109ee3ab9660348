/// `ehx-verify --proof`: one proof judged against an optional header chain
/// and the auditor's pins. A proof is worth what the header chain it ends
/// in is worth, so "valid" needs an anchor at or above the proof's block:
/// a checkpoint at that height or above, the expected tip, or a stated
/// minimum of work from the pinned genesis. Anything less is "not
/// anchored" (exit 2): consistent, but a forger with a key of any role could
/// have made it (ehx.7, the pin table).
public struct ProofVerdict: Sendable {
    public enum Outcome: Sendable, Equatable {
        case valid, notAnchored, invalid
    }

    public let txid: SHA256Digest
    public let problems: [String]
    /// What anchored the proof's block (empty when nothing did).
    public let anchors: [String]
    /// Why the proof is short of valid without being invalid.
    public let shortfalls: [String]
    /// "header chain heights a...b, work W" when headers were given.
    public let headerFacts: String?

    public var isValid: Bool { problems.isEmpty }
    public var outcome: Outcome { !problems.isEmpty ? .invalid : shortfalls.isEmpty && !anchors.isEmpty ? .valid : .notAnchored }
    /// What pinned the proof's block, nil when nothing did.
    public var pinnedBy: String? { outcome == .valid ? anchors.joined(separator: ", ") : nil }

    public var exitStatus: Sysexits {
        switch outcome {
        case .valid: .ok
        case .notAnchored: .notAnchored
        case .invalid: .checkedBad
        }
    }

    public var verdict: String {
        let txText = "tx \(txid.hex)"
        let facts = headerFacts.map { "; \($0)" } ?? ""
        switch outcome {
        case .invalid:
            return "\(txText): INVALID: \(problems.count) problem\(problems.count == 1 ? "" : "s")\(facts)"
        case .valid:
            return "\(txText): valid (\(anchors.joined(separator: ", ")))\(facts)"
        case .notAnchored:
            let why = shortfalls.isEmpty ? ["nothing at or above its block pins it"] : shortfalls
            return "\(txText): consistent, not anchored: \(why.joined(separator: "; "))\(facts)"
        }
    }

    public init(proof: InclusionProof, headers: HeaderChain?, pins: ChainPins) {
        txid = proof.tx.txid
        let check = proof.check()
        var problems = check.problems
        var anchors: [String] = []
        var shortfalls: [String] = []
        if let why = check.sizeUnchecked { shortfalls.append(why) }
        let block = proof.blockHash
        let h = proof.height
        let hint = "give --checkpoint at height \(h) or above, --expect-tip, or --min-work with the genesis pinned"
        if let headers {
            problems += headers.problems
            headerFacts = "header chain heights \(headers.first)...\(headers.last), work \(headers.work.hex)"
            if headers.tip == nil {
                problems.append("headers: no header lines")
            } else if let inChain = headers.byHeight[h] {
                if inChain != block {
                    problems.append("headers: block \(h) is \(inChain.displayHex) in the header chain, not the proof's \(block.displayHex)")
                }
            } else {
                problems.append("headers: the header chain (heights \(headers.first)...\(headers.last)) does not hold block \(h)")
            }
            var genesisPinned = false
            if let g = pins.genesis ?? pins.checkpoints[0] {
                if headers.byHeight[0] == g { genesisPinned = true } else {
                    problems.append("pin: the header chain does not start at the pinned genesis \(g.displayHex)")
                }
            }
            if let authority = pins.authority {
                if let signer = headers.genesisSigner {
                    if signer == authority { genesisPinned = true } else {
                        problems.append("pin: genesis is signed by \(signer.id.hex.prefix(16)), not the pinned authority \(authority.id.hex.prefix(16))")
                    }
                } else {
                    problems.append("pin: --authority needs the genesis transaction on the header chain's first line (ehx-query headers prints it)")
                }
            }
            if genesisPinned { anchors.append("genesis pinned") }
            for (height, hash) in pins.checkpoints.sorted(by: { $0.key < $1.key }) where height != 0 {
                if headers.byHeight[height] == hash {
                    if height >= h { anchors.append("checkpoint \(height)") }
                } else {
                    problems.append("pin: the header chain does not hold the checkpoint \(height):\(hash.displayHex)")
                }
            }
            if let tip = pins.expectTip {
                if headers.tip == tip { anchors.append("tip pinned") } else {
                    problems.append("pin: the header chain ends at \(headers.tip?.displayHex ?? "nothing"), not the expected tip \(tip.displayHex)")
                }
            }
            if let minimum = pins.minWork {
                if !genesisPinned || headers.first != 0 {
                    problems.append("pin: --min-work counts from a pinned genesis: give --genesis or --authority, and headers from height 0")
                } else if headers.work < minimum {
                    problems.append("pin: the header chain's work \(headers.work.hex) is below the stated minimum \(minimum.hex)")
                } else {
                    anchors.append("work \(headers.work.hex) at least \(minimum.hex)")
                }
            }
            if !headers.knowsRules && headers.first == 0 {
                shortfalls.append("the headers carry no genesis rules, so bits were held only to the genesis bits, not to a retarget")
            }
        } else {
            headerFacts = nil
            // Without headers only the proof's own block can be pinned.
            for (height, hash) in pins.checkpoints.sorted(by: { $0.key < $1.key }) {
                if height == h && hash == block { anchors.append(height == 0 ? "genesis pinned" : "checkpoint \(height)") } else {
                    problems.append("pin: checkpoint \(height):\(hash.displayHex) is not the proof's block \(h) \(block.displayHex); give --headers to reach it")
                }
            }
            if let g = pins.genesis, pins.checkpoints[0] == nil {
                if h == 0 && g == block { anchors.append("genesis pinned") } else {
                    problems.append("pin: the proof's block \(h) is not the pinned genesis; give --headers to link it")
                }
            }
            if let tip = pins.expectTip {
                if tip == block { anchors.append("tip pinned") } else {
                    problems.append("pin: the proof's block \(block.displayHex) is not the expected tip \(tip.displayHex); give --headers to link it")
                }
            }
            if pins.authority != nil {
                problems.append("pin: --authority needs the genesis transaction, which a proof alone does not carry; give --headers")
            }
            if pins.minWork != nil {
                problems.append("pin: --min-work needs --headers")
            }
        }
        // Only an anchor at or above the block vouches for it: a pinned
        // genesis alone admits any branch a key holder mines after it.
        let reaching = anchors.filter { $0 != "genesis pinned" }
        if reaching.isEmpty && !(h == 0 && anchors.contains("genesis pinned")) {
            shortfalls.append("nothing at or above block \(h) pins it (\(hint))")
        }
        self.problems = problems
        self.anchors = anchors
        self.shortfalls = shortfalls
    }
}
