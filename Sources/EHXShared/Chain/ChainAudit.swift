/// One problem found by `ChainAudit`, where it was found.
public struct AuditReport: Sendable, CustomStringConvertible {
    /// The input line (1-based) the problem is reported on.
    public let line: Int
    public let height: Int64
    public let problem: ChainProblem

    public init(line: Int, height: Int64, problem: ChainProblem) {
        self.line = line
        self.height = height
        self.problem = problem
    }

    /// `block HEIGHT[ tx TXID]: RULE: detail` (the tool prefixes FILE:LINE).
    public var description: String {
        let tx = problem.txid.map { " tx \($0.hex)" } ?? ""
        return "block \(height)\(tx): \(problem)"
    }

    /// `{"file","line","height","txid"?,"rule","detail"}` for --json.
    public func json(file: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "file": .string(file), "line": .number(Double(line)), "height": .number(Double(height)),
            "rule": .string(problem.rule.rawValue), "detail": .string(problem.detail),
        ]
        if let txid = problem.txid { object["txid"] = .string(txid.hex) }
        return .object(object)
    }
}

/// ehx-verify's streaming judgement of a chain: lines through the validator
/// in windows (`ChainBatch` does the order-free work on all threads), pins
/// and checkpoints checked, problems returned in chain order. Memory is the
/// validator's state plus one window of lines.
public struct ChainAudit: Sendable {
    public private(set) var validator: ChainValidator
    public let pins: ChainPins
    public let threads: Int
    /// `--from-height`: signatures of blocks below it are not checked.
    public let trustSignaturesBelow: Int64?
    public private(set) var problemCount = 0
    /// Lines read (readable or not).
    public private(set) var blocks = 0
    /// Lines that parsed as a block.
    public private(set) var readableBlocks = 0
    public private(set) var lastLine = 0
    private var checkpointsSeen: Set<Int64> = []

    public init(now: Int64, pins: ChainPins, threads: Int = 1, trustSignaturesBelow: Int64? = nil) {
        validator = ChainValidator(now: now)
        self.pins = pins
        self.threads = max(1, threads)
        self.trustSignaturesBelow = trustSignaturesBelow
    }

    /// Continues from a validator that already stands on a chain's tip
    /// (`ehx-verify --append` on a `LocalChain`).
    public init(validator: ChainValidator, pins: ChainPins, threads: Int = 1) {
        self.validator = validator
        self.pins = pins
        self.threads = max(1, threads)
        trustSignaturesBelow = nil
    }

    /// Checks one line and returns its problems.
    public mutating func check(line: LineReader.Line) -> [AuditReport] {
        check(lines: [line])
    }

    /// Checks a window of consecutive lines; problems in chain order.
    public mutating func check(lines: [LineReader.Line]) -> [AuditReport] {
        var reports: [AuditReport] = []
        for prepared in ChainBatch.prepare(lines, threads: threads, trustSignaturesBelow: trustSignaturesBelow) {
            reports += check(prepared)
        }
        return reports
    }

    /// The ordered rules for one prepared line.
    public mutating func check(_ prepared: ChainBatch.Prepared) -> [AuditReport] {
        let line = prepared.line
        blocks += 1
        lastLine = line.number
        var reports: [AuditReport] = []
        let height = validator.state.height + 1
        if !line.terminated {
            reports.append(AuditReport(line: line.number, height: height,
                                       problem: ChainProblem(.truncated, "the last line has no newline: a torn or cut-off write")))
        }
        let block: Block
        switch prepared.parsed {
        case .failure(let problem):
            validator.skipUnreadableBlock()
            reports.append(AuditReport(line: line.number, height: height, problem: problem))
            problemCount += reports.count
            return reports
        case .success(let parsed):
            block = parsed
            readableBlocks += 1
        }
        var problems = validator.add(block, lineBytes: line.bytes.count + 1, facts: prepared.facts)
        if block.height == 0 {
            if let pinned = pins.genesis, pinned != block.claimedHash {
                problems.append(ChainProblem(.pin, "genesis hash \(block.claimedHash.displayHex) is not the pinned \(pinned.displayHex)"))
            }
            // The pin means the pinned key signed the genesis rules: listing
            // it among the authorities proves nothing, anyone can.
            if let authority = pins.authority {
                if let genesis = block.txs.first, genesis.type == .genesis {
                    if genesis.signer != authority {
                        problems.append(ChainProblem(.pin, "genesis is signed by \(genesis.signer.id.hex.prefix(16)), not the pinned authority \(authority.id.hex.prefix(16))", txid: genesis.txid))
                    }
                } else {
                    problems.append(ChainProblem(.pin, "no genesis transaction to hold to the pinned authority \(authority.id.hex.prefix(16))"))
                }
            }
        }
        if let pinned = pins.checkpoints[block.height] {
            checkpointsSeen.insert(block.height)
            if pinned != block.claimedHash || pinned != prepared.facts?.hash ?? block.header.hash {
                problems.append(ChainProblem(.pin, "block \(block.height) is \(block.claimedHash.displayHex), not the checkpoint \(pinned.displayHex)"))
            }
        }
        for p in problems { reports.append(AuditReport(line: line.number, height: block.height, problem: p)) }
        problemCount += reports.count
        return reports
    }

    /// Checks that can only be made at the end: the pinned tip, checkpoints
    /// beyond the last block.
    public mutating func finish() -> [AuditReport] {
        var reports: [AuditReport] = []
        let s = validator.state
        for (height, hash) in pins.checkpoints.sorted(by: { $0.key < $1.key }) where !checkpointsSeen.contains(height) {
            reports.append(AuditReport(line: lastLine, height: s.height, problem: ChainProblem(
                .pin, "the chain ends at height \(s.height) and never reaches the checkpoint \(height):\(hash.displayHex) (truncated chain?)")))
        }
        if let minimum = pins.minWork, s.chainWork < minimum {
            reports.append(AuditReport(line: lastLine, height: s.height, problem: ChainProblem(
                .pin, "the chain's work \(s.chainWork.hex) is below the stated minimum \(minimum.hex) (truncated chain?)")))
        }
        if let tip = pins.expectTip, tip != s.tip {
            reports.append(AuditReport(line: lastLine, height: s.height, problem: ChainProblem(
                .pin, "tip \(s.tip.displayHex) is not the expected \(tip.displayHex) (truncated or extended chain?)")))
        }
        problemCount += reports.count
        return reports
    }

    public var isValid: Bool { problemCount == 0 && blocks > 0 }

    /// Counts problems found beside the chain (ehx-verify --store) in the verdict.
    public mutating func count(_ reports: [AuditReport]) { problemCount += reports.count }

    /// ehx-verify's exit status once `finish()` ran: 65 without any
    /// readable block (ehx.7: no block), 1 with a problem, else 0.
    public var exitStatus: Sysexits { readableBlocks == 0 ? .dataErr : problemCount > 0 ? .checkedBad : .ok }

    /// "valid", "consistent" (nothing pinned the genesis) or "invalid".
    public var verdictWord: String {
        problemCount > 0 ? "invalid" : pins.pinsGenesis ? "valid" : "consistent"
    }

    /// The one-line verdict for stderr.
    public var verdict: String {
        let s = validator.state
        let facts = "\(Plural.count(s.height + 1, "block")), \(Plural.count(s.txCount, "transaction")), tip \(s.tip.displayHex)"
        if problemCount > 0 { return "INVALID: \(problemCount) problem\(problemCount == 1 ? "" : "s"); \(facts)" }
        let tip = pins.pinsTip ? ", tip pinned" : ""
        let trust = trustSignaturesBelow.map { ", signatures below height \($0) taken on the checkpoint's trust" } ?? ""
        guard pins.pinsGenesis else { return "consistent, genesis not pinned\(tip)\(trust): \(facts)" }
        return "valid (genesis pinned\(tip)\(trust)): \(facts)"
    }

    /// `--summary`: what the chain holds.
    public var summary: JSONValue {
        let s = validator.state
        var types: [String: JSONValue] = [:]
        for (type, count) in s.countsByType { types[type.rawValue] = .number(Double(count)) }
        var signers: [String: JSONValue] = [:]
        for (role, keys) in s.signersByRole { signers[role.rawValue] = .number(Double(keys.count)) }
        var out: [String: JSONValue] = [
            "blocks": .number(Double(s.height + 1)),
            "transactions": .number(Double(s.txCount)),
            "types": .object(types),
            "signers": .object(signers),
            "work": .string(s.chainWork.paddedHex),
            "tip": .string(s.tip.displayHex),
            "height": .number(Double(s.height)),
        ]
        if s.height >= 0 {
            out["first_time"] = .string(Timestamp(millisecondsSince1970: Int64(s.firstTime) * 1000).description)
            out["last_time"] = .string(Timestamp(millisecondsSince1970: Int64(s.tipTime) * 1000).description)
        }
        if let g = s.genesisHash { out["genesis"] = .string(g.displayHex) }
        return .object(out)
    }

    /// The final object of `--json`.
    public var verdictJSON: JSONValue {
        let s = validator.state
        var out: [String: JSONValue] = [
            "verdict": .string(verdictWord),
            "problems": .number(Double(problemCount)),
            "blocks": .number(Double(s.height + 1)),
            "transactions": .number(Double(s.txCount)),
            "tip": .string(s.tip.displayHex),
            "genesis_pinned": .bool(pins.pinsGenesis),
            "tip_pinned": .bool(pins.pinsTip),
        ]
        if let below = trustSignaturesBelow { out["signatures_trusted_below"] = .number(Double(below)) }
        return .object(out)
    }
}

extension ChainAudit {
    /// Reads `reader` to the end in windows of lines and checks them; each
    /// problem goes to `emit` in chain order. `after` sees the audit after
    /// every line (block hashes for --append).
    ///
    /// The workers prepare the next window (`ChainBatch`: parsing, hashes,
    /// signatures) while this thread runs the ordered rules over the one
    /// before, so the signature checks never wait for them. Only input
    /// already there is read ahead: a live stream's problems are not held
    /// back until more of it arrives.
    public mutating func run(reader: LineReader, emit: (AuditReport) throws(ToolError) -> Void,
                      after: ((ChainAudit, ChainBatch.Prepared) -> Void)? = nil) throws(ToolError) {
        try ChainBatch.forEachPrepared(reader: reader, threads: threads, trustSignaturesBelow: trustSignaturesBelow) { prepared throws(ToolError) in
            for report in check(prepared) { try emit(report) }
            after?(self, prepared)
        }
    }

    /// A window holds at most this many lines or bytes (and at least one
    /// line): enough transactions to keep every core busy, little enough
    /// to keep memory flat with two windows in flight. A parsed
    /// transaction takes about 14 times its line's bytes (its JSON objects,
    /// canonical bytes and txid), so 1 MiB of lines is about 15 MB of
    /// memory, two windows 30 MB (man ehx.7, VERIFICATION).
    public static let windowLines = 256
    public static let windowBytes = 1 << 20
}
