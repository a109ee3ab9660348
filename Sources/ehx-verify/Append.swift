import EHXCommandLine
import EHXShared

/// `ehx-verify --append CHAIN INPUT`: under CHAIN's lock, take CHAIN's
/// validated state (`LocalChain`: the snapshot beside it, extended by the
/// blocks after it; the whole chain only without a usable snapshot), hold
/// it to the pins, then check the incoming block lines against its tip;
/// append the valid prefix in one write with fsync and save the snapshot;
/// report and refuse the rest. Blocks CHAIN already holds are skipped, so
/// pulling with an older `--since` is harmless. A competing branch is never
/// appended: it is refused with the fork point and the work of both sides,
/// weighed from the per-block times and bits the state keeps.
struct Appender {
    let settings: AuditSettings
    let chain: String
    let input: String
    let wait: Bool
    let json: Bool
    let quiet: Bool
    let diagnostics: Diagnostics

    func run() throws -> Sysexits {
        let file = try ChainFile(lockingForAppend: chain, wait: wait)
        let torn = try file.cutTornTail()
        if torn > 0 { diagnostics.warning("\(chain): cut \(Plural.count(torn, "byte")) of a torn last line left by an interrupted append") }
        let output = try LineWriter(path: "-")

        // 1. The local chain's validated state, held to the pins.
        let opened = Result { () throws(ToolError) in
            try LocalChain.open(chain: chain, now: settings.now, threads: settings.threads, diagnostics: diagnostics,
                                progress: ProgressMeter(tool: "ehx-verify", doing: "building the state", quiet: quiet))
        }
        if case .failure(let error) = opened, error.exitStatus == .dataErr {
            // The chain does not verify: the full report says everything wrong with it.
            return try reportLocalChain(output: output)
        }
        var local = try opened.get()
        let localProblems = try local.pinProblems(settings.pins)
        if !localProblems.isEmpty {
            let printer = ReportPrinter(output: output, file: chain, json: json)
            for problem in localProblems { try printer(AuditReport(line: 1, height: 0, problem: problem)) }
            try output.close()
            diagnostics.error("\(chain): does not meet the pins; nothing appended")
            return .checkedBad
        }
        // Saved whatever happens next: a rebuilt or extended state need not be built again.
        defer { local.saveIfPossible(diagnostics) }
        var audit = settings.makeAudit(continuing: local.validator)
        var hashes = local.blockHashes
        var headers = zip(local.blockTimes, local.blockRequiredBits).map { HeaderFacts(time: $0, requiredBits: $1) }

        // 2. Incoming lines, one block at a time (each block's signatures in parallel).
        let incoming = try LineReader(path: input)
        let printer = ReportPrinter(output: output, file: incoming.name, json: json)
        var pending: [UInt8] = []
        var acceptedBlocks: [Block] = []
        var acceptedLines: [[UInt8]] = []
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
                let report = try forkReport(first: block, firstLine: line, incoming: incoming, hashes: hashes,
                                            bits: local.blockBits + acceptedBlocks.map(\.header.bits),
                                            headers: headers, rules: audit.validator.state.rules)
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
            let s = audit.validator.state
            hashes.append(s.tip)
            headers.append(HeaderFacts(time: s.tipTime, requiredBits: s.tipRequiredBits))
            acceptedBlocks.append(block)
            acceptedLines.append(line.bytes + [0x0a])
        }
        if !pending.isEmpty {
            try file.append(pending)
            local.appended(acceptedBlocks, lines: acceptedLines, requiredBits: headers.suffix(acceptedBlocks.count).map(\.requiredBits),
                           to: file, validator: audit.validator)
        }
        try output.close()
        let accepted = acceptedBlocks.count
        let tip = hashes[hashes.count - 1]
        var message = "\(chain): appended \(accepted) block\(accepted == 1 ? "" : "s")"
        if known > 0 { message += ", \(known) already held" }
        if refused > 0 { message += ", refused \(refused) line\(refused == 1 ? "" : "s")" }
        message += "; tip \(hashes.count - 1) \(tip.displayHex)"
        if refused > 0 { diagnostics.error(message) } else { diagnostics.note(message) }
        return refused > 0 ? .checkedBad : .ok
    }

    /// A local chain that does not verify: audited in full, as ehx-verify
    /// without --append would, so every problem is named; nothing is appended.
    private func reportLocalChain(output: LineWriter) throws -> Sysexits {
        let local = try LineReader(path: chain)
        var audit = settings.makeAudit()
        let printer = ReportPrinter(output: output, file: local.name, json: json)
        try audit.run(reader: local) { report throws(ToolError) in try printer(report) }
        for report in audit.finish() { try printer(report) }
        try output.close()
        guard audit.blocks > 0 else { throw ToolError(.dataErr, "\(chain): empty chain (no genesis block)") }
        diagnostics.error("\(chain): \(audit.verdict); nothing appended")
        return .checkedBad
    }

    /// What fork weighing needs of each local block to judge a branch's
    /// headers from any fork point: its time and the bits required of it.
    struct HeaderFacts {
        let time: UInt32
        let requiredBits: UInt32
    }

    /// A block at or below our tip that is not ours: a competing branch.
    /// Reads the rest of the input to weigh the branch: its headers are
    /// held to the one header check (`HeaderTrail` from the fork point: link,
    /// bits the rules require, proof of work, median time), not its
    /// transactions; it counts until the first header that fails. Names the
    /// fork point and both sides' work.
    private func forkReport(first: Block, firstLine: LineReader.Line, incoming: LineReader,
                            hashes: [SHA256Digest], bits: [UInt32], headers: [HeaderFacts],
                            rules: ChainRules?) throws(ToolError) -> (problem: ChainProblem, lines: Int) {
        let height = Int(first.height)
        var lines = 1
        guard height > 0, first.header.prev == hashes[height - 1], let rules else {
            // Drain the rest: all of it is refused.
            while try incoming.next() != nil { lines += 1 }
            let what = height == 0 ? "a different genesis block" : "block \(height) whose prev \(first.header.prev.displayHex) is not this chain's block \(height - 1)"
            return (ChainProblem(.fork, "\(what): not a branch of this chain; nothing appended"), lines)
        }
        let forkHeight = height - 1
        let intervalStart = rules.retarget.map { forkHeight - forkHeight % Int($0.interval) } ?? forkHeight
        var trail = HeaderTrail(rules: rules, height: Int64(forkHeight), tip: hashes[forkHeight],
                                recentTimes: headers[max(0, forkHeight + 1 - ChainState.medianTimeSpan)...forkHeight].map(\.time),
                                tipRequiredBits: headers[forkHeight].requiredBits, intervalStartTime: headers[intervalStart].time)
        var branchWork = ChainWork.zero
        var branchBlocks = 0
        var linked = true
        func weigh(_ block: Block) {
            guard linked else { return }
            let before = trail.work
            guard trail.add(block.header, claimedHash: block.claimedHash, height: block.height).isEmpty else { linked = false; return }
            branchWork += ChainWork.difference(trail.work, before)
            branchBlocks += 1
        }
        weigh(first)
        while let line = try incoming.next() {
            lines += 1
            if linked, line.terminated, let block = try? BlockLine.parse(line.bytes) { weigh(block) } else { linked = false }
        }
        let ourBlocks = hashes.count - 1 - forkHeight
        // Our side's work: that of our blocks after the fork point.
        let ourSide = LocalChain.work(ofBits: bits[(forkHeight + 1)...])
        let heavier = branchWork > ourSide ? "the incoming branch is heavier" : branchWork == ourSide ? "both sides have equal work" : "this chain is heavier"
        return (ChainProblem(.fork, """
            competing branch forks after block \(forkHeight) \(hashes[forkHeight].displayHex): incoming \(branchBlocks) block\(branchBlocks == 1 ? "" : "s"), work \(branchWork.paddedHex); \
            this chain \(ourBlocks) block\(ourBlocks == 1 ? "" : "s"), work \(ourSide.paddedHex); \(heavier); not appended (no silent rewrite: \
            compare whole chains with ehx-verify --best)
            """), lines)
    }
}
