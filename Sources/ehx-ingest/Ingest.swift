import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Ingest: ParsableCommand, UsageRules {
    static let configuration = CommandConfiguration(
        commandName: "ehx-ingest",
        abstract: "Authenticate sensor readings, refuse replays, score NEWS2 and raise alerts.",
        discussion: """
            Reads sensor readings (JSON lines; or FHIR Observations or CSV with --from) and \
            writes each accepted one (canonical JSON) to stdout, followed by an alert \
            envelope {"type":"alert","body":{…}} for each abnormal one, ready for \
            ehx-sign --key. Every refused line goes to --rejects with its line number and \
            reason, and the exit status is 65.
            """,
        version: EHXVersion.string
    )

    @Argument(help: "Input file ('-' or none: stdin).", completion: .file())
    var input: String = "-"

    @Option(help: "Input format: jsonl (sensor readings with MACs), fhir (Observations or a Bundle), csv (monitor export with a header).")
    var from: ReadingSource.Format = .jsonl

    @Option(help: "The gateway's device PSK file (from ehx-keygen psk); required for jsonl.", completion: .file())
    var psk: String?

    @Option(help: "Keep replay memory, NEWS2 vitals and baselines in this file across runs (rewritten atomically).", completion: .file())
    var state: String?

    @Option(help: "Append refused lines here as JSON with code, file, line, reason and raw (ehx(7), REJECT RECORDS).", completion: .file())
    var rejects: String?

    @Option(help: "Write each alert as a JSON line here at once: a file (appended), a FIFO, or '-' for stderr.", completion: .file())
    var alerts: String?

    @Option(help: "Freshness per NEWS2 parameter, thresholds, baselines and drift settings per kind and patient, SpO2 scale 2 (JSON; see RULES FILE).", completion: .file())
    var rules: String?

    @Option(help: "NEWS2 freshness of the monitored respiration rate, SpO2 and pulse: older than this before a reading, they are missing (seconds, or 15m, 1h). Other parameters: freshness in --rules.")
    var window: String = "15m"

    @Option(help: "Refuse readings whose ts is further than this ahead of the gateway's clock.")
    var maxSkew: String = "5m"

    @Option(help: "Readings of a kind a patient's baseline learns from before it judges.")
    var learn: Int = RuleEngine.defaultLearn

    @Option(help: "Alert when a reading is more than this many standard deviations from the patient's baseline.")
    var z: Double = RuleEngine.defaultZ

    @Option(help: "Judge skew and PSK grace windows against this time instead of the clock (RFC 3339 or Unix seconds; for tests, and archives whose span is known: see --archive).")
    var now: String?

    @Flag(help: "Re-process an archive: judge each reading's time against the readings before it (the device's order, and --max-gap past the latest), not against the clock or --now.")
    var archive = false

    @Option(help: "With --archive: refuse a reading further than this past the archive's latest (a corrupt time) unless the next reading confirms the gap (default 24h).")
    var maxGap: String?

    @Option(help: "For fhir and csv: the device id when the record names none.")
    var device: String?

    @Option(help: "For fhir and csv: the patient id when the record names none.")
    var patient: String?

    @Option(help: "For csv: map a header column: NAME=ROLE (a kind, ts, device, patient, systolic, diastolic, ignore). Repeatable.")
    var column: [String] = []

    @Option(help: "Threads for parsing and MAC checks (default: all online cores). Outputs, rejects and alerts keep input order whatever the count.")
    var threads: Int?

    @Flag(name: .shortAndLong, help: "Print only errors and alerts on stderr.")
    var quiet = false

    func checkUsage() throws {
        if from == .jsonl && psk == nil { throw ValidationError("--psk is required for jsonl input") }
        guard DurationArgument.milliseconds(window) != nil else { throw ValidationError("--window \(window): expected a duration such as 900, 15m or 1h") }
        guard DurationArgument.milliseconds(maxSkew) != nil else { throw ValidationError("--max-skew \(maxSkew): expected a duration such as 300 or 5m") }
        guard learn >= 2 else { throw ValidationError("--learn must be 2 or more") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard z > 0, z.isFinite else { throw ValidationError("--z must be above 0") }
        if archive && now != nil { throw ValidationError("--archive judges times between readings; --now sets a clock: give one of them") }
        if let maxGap {
            guard archive else { throw ValidationError("--max-gap goes with --archive (without it, --max-skew bounds a reading's time)") }
            guard let ms = DurationArgument.milliseconds(maxGap), ms > 0 else { throw ValidationError("--max-gap \(maxGap): expected a duration such as 10m or 24h") }
        }
        if let now, Timestamp(argument: now) == nil { throw ValidationError("--now \(now): expected RFC 3339 UTC (2026-11-26T10:00:00.000Z) or Unix seconds") }
        for c in column where CSVReadings.Role.mapping(c) == nil {
            throw ValidationError("--column \(c): expected NAME=ROLE with ROLE a kind, ts, device, patient, systolic, diastolic or ignore")
        }
    }

    @OptionGroup var ownership: OwnershipOptions

    func run() throws {
        try checkUsage()
        ownership.apply()
        let diagnostics = Diagnostics(tool: "ehx-ingest", quiet: quiet)
        var status = Sysexits.ok
        try reportingFailures(diagnostics) {
            let lock = try state.map { path throws(ToolError) in try StateLock(statePath: path) }
            defer { withExtendedLifetime(lock) {} }
            // Watched from before the first load, so no change is missed.
            let watcher = psk.map { PSKWatcher(path: $0) }
            if watcher != nil { PSKWatcher.installHangupHandler() }
            let keys = try psk.map { path throws(KeyFileError) in try PSKFile.load(path: path) } ?? PSKFile()
            let ruleSet = try rules.map { path throws(ToolError) in try IngestRules.load(path: path) } ?? IngestRules()
            let workers = threads ?? ParallelStage.onlineCores
            var gateway = Gateway(
                gate: ReadingGate(keys: keys, maxSkewMs: DurationArgument.milliseconds(maxSkew)!, now: now.flatMap(Timestamp.init(argument:)),
                                  workers: workers),
                engine: RuleEngine(windowMs: DurationArgument.milliseconds(window)!, learn: learn, z: z, rules: ruleSet),
                state: try state.map { path throws(ToolError) in try IngestState.load(path: path) } ?? IngestState()
            )
            gateway.gate.archive = archive
            if let ms = maxGap.flatMap(DurationArgument.milliseconds) { gateway.gate.archiveMaxGapMs = ms }
            let output = try LineWriter(path: "-")
            let alertSink = try alerts.map { path throws(ToolError) in try AlertSink(path: path) }
            var columns: [String: CSVReadings.Role] = [:]
            for case let (name, role)? in column.map(CSVReadings.Role.mapping) { columns[name] = role }
            let source = try ReadingSource(path: input, rejects: rejects, format: from, device: device, patient: patient,
                                           columns: columns, diagnostics: diagnostics)
            let rejectLog = source.rejects
            var accepted = 0
            var alertCounts: [Alert.Level: Int] = [:]
            var partialAlerts = 0, artefactAlerts = 0
            var sinceCheckpoint = 0
            var lastCheckpoint = Timestamp.now()
            // Read once: an @Option's getter costs more per unit than the count.
            let keepsState = state != nil

            func checkpoint() throws(ToolError) {
                guard let state else { return }
                // Output first: the state must never claim a reading that was not written out.
                try output.close()
                try rejectLog.close()
                try gateway.state.save(path: state)
            }

            // Schema, MAC and canonical form need no state: they run on every
            // thread. Replay, order, NEWS2, baselines and all output stay in
            // input order below, so the results are those of one thread.
            // Before waiting for more input, hand downstream (ehx-sign in a
            // live pipeline) what has been judged so far.
            let idle = { () throws(ToolError) in
                try output.flush()
                try rejectLog.flush()
            }
            // Before each batch is judged: a PSK file replaced (or SIGHUP) is read again.
            let fresh = { () throws(ToolError) -> ReadingGate? in
                guard let watcher else { return nil }
                let reloaded: PSKFile?
                do throws(KeyFileError) { reloaded = try watcher.reloadIfChanged() } catch {
                    throw ToolError(error.exitStatus, "\(error); the PSK file changed and cannot be read: stopping rather than keep its old keys in use")
                }
                guard let reloaded else { return nil }
                gateway.gate.reload(keys: reloaded, workers: workers)
                diagnostics.note("\(watcher.path): reloaded (\(reloaded.keys.count) devices); its keys judge the readings from here on")
                return gateway.gate
            }
            try source.forEach(threads: workers, gate: gateway.gate, idle: idle, fresh: fresh) { unit throws(ToolError) in
                func handle(_ record: InputUnit.Record, index: Int?) throws(ToolError) {
                    let prepared: ReadingGate.Prepared
                    switch record {
                    case let .success(p): prepared = p
                    case let .failure(error):
                        try rejectLog.reject(line: unit.line, raw: unit.raw, error: error, context: unit.context(reading: index))
                        return
                    }
                    let alert: Alert?
                    do throws(RecordError) {
                        alert = try gateway.alert(for: prepared)
                    } catch {
                        try rejectLog.reject(line: unit.line, raw: unit.raw, error: error, context: unit.context(reading: index))
                        return
                    }
                    try output.write(line: prepared.canonical)
                    accepted += 1
                    guard let alert else { return }
                    alertCounts[alert.level, default: 0] += 1
                    if alert.partial == true { partialAlerts += 1 }
                    if alert.artefact == true { artefactAlerts += 1 }
                    let body = alert.json
                    try output.write(["type": "alert", "body": body])
                    if let alertSink {
                        try alertSink.write(body.canonicalBytes())
                    } else {
                        // With no --alerts stderr is the only place an alert lands,
                        // so --quiet must not silence it.
                        let label = alert.level.rawValue + (alert.partial == true ? " (partial)" : "") + (alert.artefact == true ? " (suspected artefact)" : "")
                        diagnostics.error("ALERT \(label): patient \(alert.patient): \(alert.reasons.joined(separator: "; "))")
                    }
                }
                switch unit.records {
                case let .one(record):
                    try handle(record, index: nil)
                case let .many(records):
                    for (i, record) in records.enumerated() { try handle(record, index: i) }
                case let .refused(error):
                    try rejectLog.reject(line: unit.line, raw: unit.raw, error: error, context: unit.context)
                    return
                }
                sinceCheckpoint += 1
                if keepsState, sinceCheckpoint >= 4096 {
                    sinceCheckpoint = 0
                    let t = Timestamp.now()
                    if t.millisecondsSince1970 - lastCheckpoint.millisecondsSince1970 >= 1000 {
                        try checkpoint()
                        lastCheckpoint = t
                    }
                }
            }
            try output.close()
            try rejectLog.close()
            try checkpoint()
            if source.units == 0 { throw ToolError(.dataErr, "\(source.name): no input records") }

            var summary = "\(source.name): \(accepted) accepted, \(rejectLog.total) rejected"
            if rejectLog.total > 0 { summary += " (\(rejectLog.countsByCode))" }
            let totalAlerts = alertCounts.values.reduce(0, +)
            summary += ", " + Plural.count(totalAlerts, "alert")
            if totalAlerts > 0 {
                summary += " (" + Alert.Level.allCases.reversed().compactMap { l in alertCounts[l].map { "\(l.rawValue) \($0)" } }.joined(separator: ", ")
                    + (partialAlerts > 0 ? "; \(partialAlerts) partial" : "") + (artefactAlerts > 0 ? "; \(artefactAlerts) suspected artefact" : "") + ")"
            }
            if gateway.gate.previousKeyUses > 0 { summary += ", \(gateway.gate.previousKeyUses) MACed with a rotated key in its grace window" }
            if source.skipped > 0 { summary += ", " + Plural.count(source.skipped, "non-Observation resource") + " skipped" }
            diagnostics.note(summary)
            status = rejectLog.total > 0 ? .dataErr : .ok
        }
        try exitUnlessOK(status)
    }
}

/// Alert lines, each one write(2) so a monitor tailing the file or reading
/// the FIFO sees it at once. "-" is stderr.
final class AlertSink {
    let name: String
    private let descriptor: Int32
    private let owns: Bool

    init(path: String) throws(ToolError) {
        if path == "-" {
            descriptor = STDERR_FILENO; owns = false; name = "stderr"
            return
        }
        // A FIFO blocks here until the monitor opens it for reading; a link is refused.
        let (directory, fileName) = try SafeDirectory.containing(path)
        descriptor = try directory.openForAppend(fileName, mode: 0o666); owns = true; name = path
    }

    deinit {
        if owns {
            _ = fsync(descriptor)
            close(descriptor)
        }
    }

    func write(_ bytes: [UInt8]) throws(ToolError) {
        let failed = FileWriting.writeAll(descriptor, bytes + [0x0a])
        if failed != 0 { throw ToolError(.ioErr, "\(name): write error: \(FileWriting.errorText(failed))") }
    }
}

extension ReadingSource.Format: ExpressibleByArgument {}
