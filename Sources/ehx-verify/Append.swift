import EHXCommandLine
import EHXShared

/// `ehx-verify --append CHAIN INPUT`: under CHAIN's lock, check CHAIN, then
/// the incoming block lines against its tip; append the valid prefix in one
/// write with fsync; report and refuse the rest. Blocks CHAIN already holds
/// are skipped, so pulling with an older `--since` is harmless. A competing
/// branch is never appended: it is refused with the fork point and the work
/// of both sides.
struct Appender {
    let settings: AuditSettings
    let chain: String
    let input: String
    let wait: Bool
    let json: Bool
    let diagnostics: Diagnostics

    func run() throws -> Sysexits {
        let file = try ChainFile(lockingForAppend: chain, wait: wait)
        let torn = try file.cutTornTail()
        if torn > 0 { diagnostics.warning("\(chain): cut \(torn) bytes of a torn last line left by an interrupted append") }
        let output = try LineWriter(path: "-")

        // 1. The local chain: its state snapshot and the blocks after it
        // (LocalChain); the whole chain when the snapshot does not match it.
        let opened: Result<LocalChain, ToolError>
        do {
            opened = .success(try LocalChain.open(chain: chain, now: settings.now, threads: settings.threads, diagnostics: diagnostics,
                                                  progress: ProgressMeter(tool: "ehx-verify", doing: "building the state", quiet: diagnostics.quiet)))
        } catch {
            opened = .failure(error)
        }
        var local: LocalChain
        switch opened {
        case .success(let loaded):
            local = loaded
        case .failure(let failure) where failure.exitStatus == .dataErr:
            // A chain with a problem: the full audit reports every one of them.
            return try reportLocalProblems(output: output)
        case .failure(let failure):
            throw failure
        }
        if let problem = pinProblem(local) {
            try ReportPrinter(output: output, file: chain, json: json)(problem)
            try output.close()
            diagnostics.error("\(chain): a pin does not hold; nothing appended")
            return .checkedBad
        }
        var audit = ChainAudit(validator: local.validator, pins: settings.pins, threads: settings.threads)
        var hashes = local.blockHashes
        var bits = local.blockBits
        var acceptedLines: [[UInt8]] = []

        // 2. Incoming lines, one block at a time (each block's signatures in parallel).
        let incoming = try LineReader(path: input)
        let printer = ReportPrinter(output: output, file: incoming.name, json: json)
        var pending: [UInt8] = []
        var accepted = 0
        var known = 0
        var refused = 0
        var stopped = false
        func refuse(_ line: LineReader.Line, _ height: Int64, _ problem: ChainProblem) throws(ToolError) {
            try printer(AuditReport(line: line.number, height: height, problem: problem))
            refused += 1
            stopped = true
        }
        while let line = try incoming.next() {
            if stopped { refused += 1; continue }
            let tipHeight = Int64(hashes.count - 1)
            guard line.terminated else {
                try refuse(line, tipHeight + 1, ChainProblem(.truncated, "the last line has no newline: a torn or cut-off write"))
                continue
            }
            let block: Block
            do { block = try BlockLine.parse(line.bytes) } catch {
                try refuse(line, tipHeight + 1, error)
                continue
            }
            if block.height <= tipHeight {
                if hashes[Int(block.height)] == block.claimedHash {
                    known += 1 // already ours
                    continue
                }
                let report = try forkReport(first: block, firstLine: line, incoming: incoming, hashes: hashes, bits: bits)
                refused += report.lines
                stopped = true
                try printer(AuditReport(line: line.number, height: block.height, problem: report.problem))
                continue
            }
            let reports = audit.check(line: line)
            if !reports.isEmpty {
                for report in reports { try printer(report) }
                refused += 1
                stopped = true
                continue
            }
            pending += line.bytes
            pending.append(0x0a)
            acceptedLines.append(line.bytes)
            hashes.append(audit.validator.state.tip)
            bits.append(block.header.bits)
            accepted += 1
        }
        if !pending.isEmpty {
            try file.append(pending)
            local.appended(lines: acceptedLines, hashes: Array(hashes.suffix(acceptedLines.count)),
                           bits: Array(bits.suffix(acceptedLines.count)), validator: audit.validator)
        }
        local.saveIfPossible(diagnostics)
        try output.close()
        let tip = hashes[hashes.count - 1]
        var message = "\(chain): appended \(accepted) block\(accepted == 1 ? "" : "s")"
        if known > 0 { message += ", \(known) already held" }
        if refused > 0 { message += ", refused \(refused) line\(refused == 1 ? "" : "s")" }
        message += "; tip \(hashes.count - 1) \(tip.displayHex)"
        if refused > 0 { diagnostics.error(message) } else { diagnostics.note(message) }
        return refused > 0 ? .checkedBad : .ok
    }

    /// A block at or below our tip that is not ours: a competing branch.
    /// Reads the rest of the input to weigh the branch (headers only: link
    /// and proof of work), and names the fork point and both sides' work.
    private func forkReport(first: Block, firstLine: LineReader.Line, incoming: LineReader,
                            hashes: [SHA256Digest], bits: [UInt32]) throws(ToolError) -> (problem: ChainProblem, lines: Int) {
        let height = Int(first.height)
        var lines = 1
        guard height > 0, first.header.prev == hashes[height - 1] else {
            // Drain the rest: all of it is refused.
            while try incoming.next() != nil { lines += 1 }
            let what = height == 0 ? "a different genesis block" : "block \(height) whose prev \(first.header.prev.displayHex) is not this chain's block \(height - 1)"
            return (ChainProblem(.fork, "\(what): not a branch of this chain; nothing appended"), lines)
        }
        let forkHeight = height - 1
        var branchWork = ChainWork.zero
        var branchBlocks = 0
        var prev = hashes[forkHeight]
        var linked = true
        func weigh(_ block: Block) {
            guard linked, block.header.prev == prev, let target = try? CompactTarget(bits: block.header.bits),
                  target.isMet(by: block.header.hash) else { linked = false; return }
            branchWork += ChainWork(of: target)
            branchBlocks += 1
            prev = block.header.hash
        }
        weigh(first)
        while let line = try incoming.next() {
            lines += 1
            if linked, line.terminated, let block = try? BlockLine.parse(line.bytes) { weigh(block) } else { linked = false }
        }
        let ours = LocalChain.work(ofBits: bits)
        let base = LocalChain.work(ofBits: bits.prefix(forkHeight + 1))
        let ourBlocks = hashes.count - 1 - forkHeight
        // Our side's work: total minus work up to the fork point.
        let ourSide = ChainWork.difference(ours, base)
        let heavier = branchWork > ourSide ? "the incoming branch is heavier" : branchWork == ourSide ? "both sides have equal work" : "this chain is heavier"
        return (ChainProblem(.fork, """
            competing branch forks after block \(forkHeight) \(hashes[forkHeight].displayHex): incoming \(branchBlocks) block\(branchBlocks == 1 ? "" : "s"), work \(branchWork.hex); \
            this chain \(ourBlocks) block\(ourBlocks == 1 ? "" : "s"), work \(ourSide.hex); \(heavier); not appended (no silent rewrite: \
            compare whole chains with ehx-verify --best)
            """), lines)
    }

    /// The full audit of a local chain the state could not be built from,
    /// printing every problem, as ehx-verify CHAIN would.
    private func reportLocalProblems(output: LineWriter) throws -> Sysexits {
        let local = try LineReader(path: chain)
        var audit = settings.makeAudit()
        let printer = ReportPrinter(output: output, file: local.name, json: json)
        try audit.run(reader: local, emit: { report throws(ToolError) in try printer(report) })
        guard audit.blocks > 0 else { throw ToolError(.dataErr, "\(chain): empty chain (no genesis block)") }
        try output.close()
        diagnostics.error("\(chain): \(audit.verdict); nothing appended")
        return .checkedBad
    }

    /// The pins given with --append, judged against the local chain's state.
    private func pinProblem(_ local: LocalChain) -> AuditReport? {
        let pins = settings.pins
        let state = local.state
        if let pinned = pins.genesis, pinned != state.genesisHash {
            return AuditReport(line: 1, height: 0, problem: ChainProblem(.pin, "genesis hash \(state.genesisHash?.displayHex ?? "none") is not the pinned \(pinned.displayHex)"))
        }
        if let authority = pins.authority, !(state.rules?.authorities.contains(authority) ?? false) {
            return AuditReport(line: 1, height: 0, problem: ChainProblem(.pin, "genesis does not name the pinned authority \(authority.id.hex.prefix(16))"))
        }
        for (height, pinned) in pins.checkpoints.sorted(by: { $0.key < $1.key }) where height <= state.height {
            let hash = local.blockHashes[Int(height)]
            if hash != pinned {
                return AuditReport(line: Int(height) + 1, height: height, problem: ChainProblem(.pin, "block \(height) is \(hash.displayHex), not the checkpoint \(pinned.displayHex)"))
            }
        }
        return nil
    }
}
