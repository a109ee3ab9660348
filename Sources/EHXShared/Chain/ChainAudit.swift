/// ehx-verify's streaming judgement of a chain: every line through the
/// validator, pins checked, problems rendered as `block H[ tx ID]: RULE: detail`
/// (the tool prefixes FILE:LINE). Memory is the validator's state only.
public struct ChainAudit: Sendable {
    public private(set) var validator: ChainValidator
    public let pins: ChainPins
    public private(set) var problemCount = 0
    public private(set) var blocks = 0
    private var sawTruncation = false

    public init(now: Int64, pins: ChainPins) {
        validator = ChainValidator(now: now)
        self.pins = pins
    }

    /// Checks one line and returns its problem reports.
    public mutating func check(line: LineReader.Line) -> [String] {
        blocks += 1
        var reports: [String] = []
        let height = validator.state.height + 1
        if !line.terminated {
            sawTruncation = true
            reports.append("block \(height): \(ChainProblem(.truncated, "the last line has no newline: a torn or cut-off write"))")
        }
        let block: Block
        do { block = try BlockLine.parse(line.bytes) } catch {
            validator.skipUnreadableBlock()
            problemCount += reports.count + 1
            return reports + ["block \(height): \(error)"]
        }
        var problems = validator.add(block, lineBytes: line.bytes.count + 1)
        if block.height == 0 {
            if let pinned = pins.genesis, pinned != block.claimedHash {
                problems.append(ChainProblem(.pin, "genesis hash \(block.claimedHash.displayHex) is not the pinned \(pinned.displayHex)"))
            }
            if let authority = pins.authority, !(validator.state.rules?.authorities.contains(authority) ?? false) {
                problems.append(ChainProblem(.pin, "genesis does not name the pinned authority \(authority.id.hex.prefix(16))"))
            }
        }
        for p in problems {
            let tx = p.txid.map { " tx \($0.hex)" } ?? ""
            reports.append("block \(block.height)\(tx): \(p)")
        }
        problemCount += reports.count
        return reports
    }

    /// Checks that can only be made at the end: the pinned tip.
    public mutating func finish() -> [String] {
        var reports: [String] = []
        if let tip = pins.expectTip, tip != validator.state.tip {
            reports.append("block \(validator.state.height): \(ChainProblem(.pin, "tip \(validator.state.tip.displayHex) is not the expected \(tip.displayHex) (truncated or extended chain?)"))")
        }
        problemCount += reports.count
        return reports
    }

    /// The one-line verdict for stderr.
    public var verdict: String {
        let s = validator.state
        let facts = "\(s.height + 1) blocks, \(s.txCount) transactions, tip \(s.tip.displayHex)"
        if problemCount > 0 { return "INVALID: \(problemCount) problem\(problemCount == 1 ? "" : "s"); \(facts)" }
        let tip = pins.expectTip != nil ? ", tip pinned" : ""
        guard pins.pinsGenesis else { return "consistent, genesis not pinned\(tip): \(facts)" }
        return "valid (genesis pinned\(tip)): \(facts)"
    }
}
