import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Mine: ParsableCommand, UsageRules {
    static let configuration = CommandConfiguration(
        commandName: "ehx-mine",
        abstract: "Mine transactions into blocks and append them to the chain file.",
        discussion: """
            Takes the chain's lock (exit 75 at once if another miner holds it, unless \
            --wait), loads the chain's validated state from CHAIN.state and checks only the \
            blocks after it (the whole chain, after one line on stderr saying why, when the \
            snapshot does not match; see CHAIN STATE in ehx(7)), then reads transactions one per line. \
            Each is checked like ehx-verify would (signature, signer's role, duplicate \
            txid, device seq); refused ones go to --rejects. When --max-txs transactions \
            are taken or the next would pass --max-bytes (one budget for stdin and --spool), \
            and at the end of input, a block is built with the miner's \
            signed stamp first, mined, checked, and appended in one write with fsync. \
            Prints one JSON line per block mined. With --spool DIR (for cron) the \
            transactions come from the spool ehx-sign --spool fills: oldest first, those \
            already on the chain are retired, invalid ones move to DIR/rejected with a \
            .reason file, and mined entries are removed only after their block is appended \
            and fsynced, so a run killed at any instant loses and repeats nothing. The nonce search runs on --threads \
            threads with SHA extensions when the CPU has them. --bench needs no chain: \
            it hashes random headers at an unreachable target for --seconds and prints \
            one JSON line with hashes_per_second, threads, kernel and seconds.
            """,
        version: EHXVersion.string
    )

    @Argument(help: "Transactions file ('-' or none: stdin).", completion: .file())
    var input: String = "-"

    @Option(help: "The chain file to extend (required unless --bench).", completion: .file())
    var chain: String?

    @Option(help: "The miner's private key; it must hold the miner role on the chain (required unless --bench).", completion: .file())
    var key: String?

    @Option(help: "Nonce-search threads (default: all online cores).")
    var threads: Int?

    @Flag(help: "Measure the nonce search's hash rate instead of mining; needs no chain.")
    var bench = false

    @Option(help: "How long each --bench run lasts, in seconds.")
    var seconds: Double = 5

    @Option(help: "With --bench: how many runs; prints their min, median and max (one run's figure is noise).")
    var `repeat`: Int = 1

    @Option(help: "Most transactions per block besides the stamp.")
    var maxTxs: Int = 500

    @Option(help: "Mine from this maildir-style spool (DIR/new, written by ehx-sign --spool) instead of a file or stdin.", completion: .directory)
    var spool: String?

    @Option(help: "With --spool: mine only when at least this many transactions are waiting (0 mines an empty block).")
    var minTxs: Int = 1

    @Option(help: "Most bytes of transactions per block (default: half the chain's max_block_bytes).")
    var maxBytes: Int?

    @Option(help: "With --spool: give up cleanly after this many seconds (exit 75), leaving the spool intact.")
    var deadline: Double?

    @Option(help: "Append refused lines here as JSON with code, file, line, reason and raw.", completion: .file())
    var rejects: String?

    @Flag(help: "Wait for the chain's lock instead of exiting with status 75.")
    var wait = false

    @Option(help: "Passphrase file for an encrypted key (or set EHX_PASSPHRASE).", completion: .file())
    var passphraseFile: String?

    @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
    var quiet = false

    func checkUsage() throws {
        guard maxTxs >= 1 else { throw ValidationError("--max-txs must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard minTxs >= 0 else { throw ValidationError("--min-txs must be 0 or more") }
        if let maxBytes, maxBytes < 1 { throw ValidationError("--max-bytes must be at least 1") }
        if let deadline, !(deadline > 0 && deadline.isFinite) { throw ValidationError("--deadline must be a positive number of seconds") }
        if spool != nil && input != "-" { throw ValidationError("give either --spool or an input file, not both") }
        if spool == nil && (deadline != nil || minTxs != 1) { throw ValidationError("--min-txs and --deadline go with --spool") }
        if spool != nil && bench { throw ValidationError("--bench needs no --spool") }
        guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds must be a positive number") }
        guard (1...1000).contains(`repeat`) else { throw ValidationError("--repeat must be from 1 to 1000") }
        if `repeat` != 1 && !bench { throw ValidationError("--repeat goes with --bench") }
        if !bench {
            guard chain != nil else { throw ValidationError("--chain is required (unless --bench)") }
            guard key != nil else { throw ValidationError("--key is required (unless --bench)") }
        }
    }

    var threadCount: Int {
        threads ?? ParallelStage.onlineCores
    }

    @OptionGroup var ownership: OwnershipOptions

    func run() throws {
        try checkUsage()
        ownership.apply()
        let diagnostics = Diagnostics(tool: "ehx-mine", quiet: quiet)
        let started = ContinuousClock.now
        if bench {
            try reportingFailures(diagnostics) {
                let runs = (0..<`repeat`).map { _ in MiningBenchmark.run(seconds: seconds, threads: threadCount) }
                let spread = MiningBenchmark.Spread(runs)
                let output = try LineWriter(path: "-")
                try output.write([
                    "hashes_per_second": .number(spread.median.rounded()),
                    "min": .number(spread.min.rounded()),
                    "median": .number(spread.median.rounded()),
                    "max": .number(spread.max.rounded()),
                    "runs": .number(Double(runs.count)),
                    "threads": .number(Double(threadCount)),
                    "kernel": .string(NonceSearch.bestKernel.name),
                    "seconds": .number((spread.seconds * 1000).rounded() / 1000),
                ])
                try output.close()
            }
            return
        }
        guard let chain, let key else { throw ValidationError("--chain and --key are required") }
        let searchThreads = threadCount
        var status = Sysexits.ok
        try reportingFailures(diagnostics) {
            let minerKey = try loadSigningKey(path: key, passphraseFile: passphraseFile)
            let file = try ChainFile(lockingForAppend: chain, wait: wait)
            let torn = try file.cutTornTail()
            if torn > 0 { diagnostics.warning("\(chain): cut \(Plural.count(torn, "byte")) of a torn last line left by an interrupted append") }
            var local = try LocalChain.open(chain: chain, now: Timestamp.now().unixSeconds, threads: searchThreads,
                                            diagnostics: diagnostics,
                                            progress: ProgressMeter(tool: "ehx-mine", doing: "building the state", quiet: quiet))
            // The snapshot follows every run, whatever ends it: the blocks
            // appended so far are on the chain and need not be read again.
            defer { local.saveIfPossible(diagnostics) }
            guard let rules = local.state.rules else { throw ToolError(.dataErr, "\(chain): no genesis rules") }
            guard local.state.roles(of: minerKey.publicKey).contains(.miner) else {
                throw ToolError(.noPerm, "\(key): key \(minerKey.publicKey.id.hex.prefix(16)) does not hold the miner role on \(chain)")
            }
            let output = try LineWriter(path: "-")
            let budget = BlockBudget(rules: rules, maxTxs: maxTxs, maxBytes: maxBytes)
            func report(_ block: Block) throws {
                try Self.printMined(block, to: output)
                diagnostics.note("block \(block.height) \(block.claimedHash.displayHex): \(Plural.count(block.txs.count, "tx"))")
            }
            if let spool {
                var miner = SpoolMiner(spool: try Spool(path: spool, create: false), budget: budget, minTxs: minTxs,
                                       key: minerKey, threads: searchThreads, diagnostics: diagnostics)
                let limit = deadline.map { started + .nanoseconds(Int64($0 * 1e9)) }
                miner.pastDeadline = { limit.map { ContinuousClock.now >= $0 } ?? false }
                status = try miner.run(local: &local, file: file, mined: report).status
                try output.close()
                return
            }
            let pipeline = try RecordPipeline(input: input, rejects: rejects, diagnostics: diagnostics,
                                              maxLineBytes: Int(rules.maxBlockBytes))
            var candidate = local.validator.candidate()
            var lastSave = ContinuousClock.now

            func mineCandidate() throws {
                guard !candidate.transactions.isEmpty else { return }
                let block = try local.mineAndAppend(&candidate, to: file, key: minerKey, threads: searchThreads)
                candidate = local.validator.candidate()
                // A long stream saves its state now and then, so a kill costs
                // at most a minute of blocks to read again.
                if ContinuousClock.now - lastSave > .seconds(60) {
                    local.saveIfPossible(diagnostics)
                    lastSave = ContinuousClock.now
                }
                try report(block)
            }

            // Parsing, serializing and the signature check of each line are
            // order-free and run on every thread; admission (duplicates and
            // replays are judged in input order) and mining stay in order.
            let checkers = SignatureCheckers(workers: searchThreads)
            var repeatedAlerts = 0
            // A canonical line (what ehx-sign writes) is read the verifier's quick way.
            let quick = { @Sendable (line: UnsafeRawBufferPointer, worker: Int) -> (tx: Transaction, leaf: [UInt8], signature: Bool)? in
                guard let tx = Transaction(canonicalLine: line) else { return nil }
                return (tx: tx, leaf: Array(line), signature: checkers.isValid(tx, worker: worker))
            }
            try pipeline.runBatched(threads: searchThreads, idle: output.flush, quick: quick) { json, worker in
                let (tx, leaf) = try Transaction.parseWithLeaf(json)
                return (tx: tx, leaf: leaf, signature: checkers.isValid(tx, worker: worker))
            } finish: { prepared in
                let (tx, leaf, valid) = prepared
                if !budget.fits(candidate, leafBytes: leaf.count) { try mineCandidate() }
                let problems = candidate.admit(tx, leaf: leaf, signature: .checked(valid))
                if !problems.isEmpty && problems.allSatisfy({ $0.rule == .alertRepeat }) {
                    // The alert is on the chain already (a gateway run twice): retired, not refused.
                    repeatedAlerts += 1
                    return
                }
                if let problem = problems.first { throw problem }
                if budget.isFull(candidate) { try mineCandidate() }
            }
            try mineCandidate()
            try output.close()
            let c = pipeline.counts
            if repeatedAlerts > 0 {
                diagnostics.note("\(pipeline.inputName): \(Plural.count(repeatedAlerts, "alert")) already on the chain for their reading and rule, retired (rule alert-repeat)")
            }
            diagnostics.note("\(pipeline.inputName): \(Plural.count(c.accepted - repeatedAlerts, "transaction")) mined, \(c.rejected) rejected; tip \(local.state.height) \(local.state.tip.displayHex)")
            status = pipeline.exitStatus
        }
        try exitUnlessOK(status)
    }

    /// One line per block mined, handed to the kernel at once: a run killed
    /// later (cron's `>> blocks.jsonl`) keeps the lines of the blocks it
    /// appended, and `tail -f` shows each as it comes.
    static func printMined(_ block: Block, to output: LineWriter) throws(ToolError) {
        try output.write([
            "height": .number(Double(block.height)), "hash": .string(block.claimedHash.displayHex),
            "txs": .number(Double(block.txs.count)), "nonce": .number(Double(block.header.nonce)),
        ])
        try output.flush()
    }
}
