import ArgumentParser
import EHXCommandLine
import EHXReport
import EHXShared

@main
struct Verify: ParsableCommand, UsageRules {
    static let configuration = CommandConfiguration(
        commandName: "ehx-verify",
        abstract: "Check every rule of an ehx chain, offline; take a peer's blocks; pick the best of several chains.",
        discussion: """
            Reads the chain once, line by line, and prints one line per problem on stdout: \
            FILE:LINE: block HEIGHT[ tx TXID]: RULE: detail (or one JSON object per problem \
            with --json, then a verdict object). A summary goes to stderr. A chain vouches \
            for itself only up to its genesis: pin it with --genesis, --authority (genesis \
            signed by that key) or --checkpoint 0:HASH, and pin its tip with --expect-tip \
            against truncation. \
            Signatures are checked on --threads threads while the other rules run in chain \
            order. With --append CHAIN, the input's blocks are checked against CHAIN's tip \
            and the valid prefix is appended under CHAIN's lock; with --best, the path of \
            the valid chain with the most cumulative work is printed. Exit 0: valid (or \
            consistent, when not pinned); 1: problems found or blocks refused; 2: --proof \
            consistent but not anchored (no checkpoint at or above its block, expected tip \
            or minimum work); 65: no chain to read; 66: missing file; 75: CHAIN locked (--append).
            """,
        version: EHXVersion.string
    )

    @Argument(help: "Chain file ('-' or none: stdin); with --append the incoming blocks; with --best two or more chain files.", completion: .file())
    var files: [String] = []

    @Option(help: "Pin the chain: the genesis block's hash must be this.")
    var genesis: String?

    // Unconditional: one base64url raw key in 64 begins with "-", which
    // would otherwise be taken for an option and leave --authority empty.
    @Option(parsing: .unconditional,
            help: "Pin the chain: its genesis must be signed by this authority key (public key PEM file, or base64url raw key).", completion: .file())
    var authority: String?

    @Option(help: "The last block's hash must be this (detects truncation).")
    var expectTip: String?

    @Option(help: ArgumentHelp("Pin the work: the chain (with --proof, the header chain) from the pinned genesis must hold at least this much (hex, as ehx-query tip prints it).", valueName: "hex"))
    var minWork: String?

    @Option(name: .customLong("checkpoint"), help: ArgumentHelp("The block at HEIGHT must have HASH (repeatable; 0:HASH pins the genesis).", valueName: "height:hash"))
    var checkpoints: [String] = []

    @Option(help: ArgumentHelp("Check signatures only from block N on; needs --checkpoint at N-1 or N (see ehx(7) for what this trusts).", valueName: "n"))
    var fromHeight: Int64?

    @Option(help: "Judge block times against this time instead of the clock (RFC 3339 or Unix seconds).")
    var now: String?

    @Flag(help: "One JSON object per problem on stdout, then a verdict object.")
    var json = false

    @Flag(help: "Also report blocks, transactions per type, signers per role, first and last time, cumulative work and tip.")
    var summary = false

    @Option(help: ArgumentHelp("Also write the verdict of --json with the summary as a self-contained HTML page (no script, nothing fetched).", valueName: "file"), completion: .file())
    var report: String?

    @Option(help: "Threads for signature checks (default: all cores).")
    var threads: Int = ParallelStage.onlineCores

    @Option(help: ArgumentHelp("Append the valid prefix of the input's blocks to CHAIN, under its lock; CHAIN's state comes from its snapshot (CHAIN.state) and the blocks after it.", valueName: "chain"), completion: .file())
    var append: String?

    @Flag(help: "With --append: wait for CHAIN's lock instead of exiting with status 75.")
    var wait = false

    @Flag(help: "Print the path of the valid chain with the most cumulative work among the files.")
    var best = false

    @Option(help: ArgumentHelp("Check the inclusion proof(s) in FILE (from ehx-query proof) instead of a chain.", valueName: "file"), completion: .file())
    var proof: String?

    @Option(help: ArgumentHelp("With --proof: the header chain (from ehx-query headers) that links the proof's block to the pins.", valueName: "file"), completion: .file())
    var headers: String?

    @Option(help: ArgumentHelp("Also check this blob store against the chain: every stored body's blob present, intact and bound to its transaction, or erased by the chain; no erased blob left (blob-missing, blob-corrupt, erased-present).", valueName: "dir"), completion: .directory)
    var store: String?

    @Flag(name: .shortAndLong, help: "No verdict on stderr; problems are still printed.")
    var quiet = false

    func checkUsage() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if append != nil && best { throw ValidationError("--append and --best do not go together") }
        if append != nil && files.count > 1 { throw ValidationError("--append takes one input (the incoming blocks, '-' for stdin)") }
        if append != nil && expectTip != nil { throw ValidationError("--expect-tip does not go with --append (the tip moves)") }
        if append != nil && minWork != nil { throw ValidationError("--min-work does not go with --append") }
        if proof != nil && (append != nil || best || !files.isEmpty) { throw ValidationError("--proof checks a proof file alone (no chain file, --append or --best)") }
        if proof != nil && (json || summary || report != nil) {
            throw ValidationError("--proof prints its problems as text lines; --json, --summary and --report go with a chain audit")
        }
        if headers != nil && proof == nil { throw ValidationError("--headers goes with --proof") }
        if best && files.count < 2 { throw ValidationError("--best needs at least two chain files") }
        if report != nil && (append != nil || best) { throw ValidationError("--report goes with a plain audit, not --append or --best") }
        if store != nil && (append != nil || best || proof != nil) { throw ValidationError("--store goes with a plain audit, not --append, --best or --proof") }
        if !best && append == nil && files.count > 1 { throw ValidationError("one chain file at a time (or --best)") }
    }

    @OptionGroup var ownership: OwnershipOptions

    func run() throws {
        try checkUsage()
        ownership.apply()
        let diagnostics = Diagnostics(tool: "ehx-verify", quiet: quiet)
        var status = Sysexits.ok
        try reportingFailures(diagnostics) {
            let pins = try ChainPins(genesis: genesis, authority: authority, expectTip: expectTip, checkpoints: checkpoints,
                                     minWork: minWork)
            var clock = Timestamp.now().unixSeconds
            if let now {
                guard let t = Timestamp(argument: now) else { throw ToolError(.usage, "--now \(now): not an RFC 3339 time or Unix seconds") }
                clock = t.unixSeconds
            }
            if let fromHeight {
                guard fromHeight >= 0 else { throw ToolError(.usage, "--from-height \(fromHeight): must be 0 or more") }
                guard pins.checkpoints[fromHeight] != nil || pins.checkpoints[fromHeight - 1] != nil else {
                    throw ToolError(.usage, "--from-height \(fromHeight) needs a trusted --checkpoint at height \(fromHeight - 1) or \(fromHeight)")
                }
            }
            let settings = AuditSettings(now: clock, pins: pins, threads: threads, trustSignaturesBelow: fromHeight)
            if let proof {
                status = try ProofMode(proofFile: proof, headersFile: headers, pins: pins, diagnostics: diagnostics).run()
            } else if let append {
                status = try Appender(settings: settings, chain: append, input: files.first ?? "-", wait: wait,
                                      json: json, quiet: quiet, diagnostics: diagnostics).run()
            } else if best {
                status = try bestChain(settings: settings, diagnostics: diagnostics)
            } else {
                status = try verify(path: files.first ?? "-", settings: settings, diagnostics: diagnostics)
            }
        }
        try exitUnlessOK(status)
    }

    func verify(path: String, settings: AuditSettings, diagnostics: Diagnostics) throws -> Sysexits {
        let reader = try LineReader(path: path)
        let output = try LineWriter(path: "-")
        var audit = settings.makeAudit()
        var storeAudit = try store.map { (dir: String) throws(ToolError) in StoreAudit(store: try BlobStore(path: dir, create: false)) }
        var erasures: [ErasureEntry] = []
        let emit = ReportPrinter(output: output, file: reader.name, json: json)
        let page = report.map { _ in AuditPage(file: reader.name) }
        let progress = ProgressMeter(tool: "ehx-verify", doing: "checking", quiet: quiet)
        let total = path == "-" ? nil : ProgressMeter.fileSize(path)
        var done: Int64 = 0
        try audit.run(reader: reader, emit: { report throws(ToolError) in progress.clear(); try emit(report); page?.add(report) },
                      after: { audit, prepared in
                          page?.note(prepared)
                          if case .success(let block) = prepared.parsed {
                              storeAudit?.note(block, line: prepared.line.number)
                              for tx in block.txs where tx.type == .erasure {
                                  if let entry = ErasureEntry(tx, height: block.height) { erasures.append(entry) }
                              }
                          }
                          done += Int64(prepared.line.bytes.count + 1)
                          let s = audit.validator.state
                          progress.update(blocks: s.height + 1, transactions: s.txCount, bytes: done, totalBytes: total)
                      })
        progress.finish(blocks: audit.validator.state.height + 1, transactions: audit.validator.state.txCount, bytes: done, totalBytes: total)
        for report in audit.finish() { try emit(report); page?.add(report) }
        if let storeAudit, audit.readableBlocks > 0 {
            let s = audit.validator.state
            let reports = storeAudit.check(erasures: s.erasures, lastLine: audit.lastLine, height: s.height)
            audit.count(reports)
            for report in reports { try emit(report); page?.add(report) }
            diagnostics.note("\(storeAudit.store.path): \(Plural.count(storeAudit.referenceCount, "stored body", "stored bodies")) checked, \(Plural.count(s.erasures.count, "blob")) erased by the chain, \(Plural.count(reports.count, "store problem"))")
        }
        guard audit.readableBlocks > 0 else {
            try output.close()
            let what = audit.blocks == 0 ? "no blocks (empty input)" : "no readable block in \(audit.blocks) line\(audit.blocks == 1 ? "" : "s")"
            throw ToolError(.dataErr, "\(reader.name): \(what)")
        }
        if json {
            var verdict = audit.verdictJSON.objectValue ?? [:]
            verdict["file"] = .string(reader.name)
            if summary { verdict["summary"] = Self.withErasures(audit.summary, erasures) }
            try output.write(.object(verdict))
        }
        try output.close()
        if let page, let report {
            var verdict = audit.verdictJSON.objectValue ?? [:]
            verdict["file"] = .string(reader.name)
            page.verdict = .object(verdict)
            page.summary = Self.withErasures(audit.summary, erasures)
            page.verdictLine = audit.verdict
            page.command = CommandLine.arguments.map(PatientReport.shellQuote).joined(separator: " ")
            try Page.write(page.html(), to: report)
        }
        diagnostics.note("\(reader.name): \(audit.verdict)")
        if summary && !json { diagnostics.error("\(reader.name): summary: \(Self.withErasures(audit.summary, erasures).canonicalString)") }
        return audit.exitStatus
    }

    /// The summary with the chain's erasures listed (an audit must show every one).
    static func withErasures(_ summary: JSONValue, _ erasures: [ErasureEntry]) -> JSONValue {
        guard var members = summary.objectValue else { return summary }
        members["erasures"] = .array(erasures.map(\.json))
        return .object(members)
    }

    /// --best: every file audited in full; the valid one with the most work wins.
    func bestChain(settings: AuditSettings, diagnostics: Diagnostics) throws -> Sysexits {
        var winner: (path: String, work: ChainWork)?
        for path in files {
            let reader = try LineReader(path: path)
            var audit = settings.makeAudit()
            try audit.run(reader: reader) { _ throws(ToolError) in }
            _ = audit.finish()
            let work = audit.validator.state.chainWork
            guard audit.isValid else {
                diagnostics.error("\(path): not a candidate: \(audit.blocks == 0 ? "no blocks" : audit.verdict)")
                continue
            }
            diagnostics.note("\(path): \(audit.verdictWord), work \(work.paddedHex), tip \(audit.validator.state.tip.displayHex)")
            if let current = winner {
                if work > current.work { winner = (path, work) } else if work == current.work {
                    diagnostics.note("\(path): same work as \(current.path); keeping the first named")
                }
            } else {
                winner = (path, work)
            }
        }
        guard let winner else {
            diagnostics.error("no valid chain among \(files.count) files")
            return .checkedBad
        }
        let output = try LineWriter(path: "-")
        try output.write(text: winner.path)
        try output.close()
        return .ok
    }
}

/// How every audit of one run is set up.
struct AuditSettings {
    let now: Int64
    let pins: ChainPins
    let threads: Int
    let trustSignaturesBelow: Int64?

    func makeAudit(pins override: ChainPins? = nil) -> ChainAudit {
        ChainAudit(now: now, pins: override ?? pins, threads: threads, trustSignaturesBelow: trustSignaturesBelow)
    }

    /// Goes on from a validator standing on a chain's tip (`--append`).
    func makeAudit(continuing validator: ChainValidator) -> ChainAudit {
        ChainAudit(validator: validator, pins: pins, threads: threads)
    }
}

/// Prints problems as `FILE:LINE: block H[ tx ID]: RULE: detail` or JSON.
struct ReportPrinter {
    let output: LineWriter
    let file: String
    let json: Bool

    func callAsFunction(_ report: AuditReport) throws(ToolError) {
        if json {
            try output.write(report.json(file: file))
        } else {
            try output.write(text: "\(file):\(report.line): \(report)")
        }
    }
}
