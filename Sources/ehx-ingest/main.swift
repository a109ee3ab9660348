import ArgumentParser
import EHXCommandLine
import EHXShared

@main
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-ingest",
        abstract: "Validate and authenticate sensor readings; flag abnormal ones.",
        discussion: """
            Reads sensor readings, one JSON object per line, and writes each valid one \
            (canonical JSON) to stdout. A reading must have the right schema, unit and a \
            physically possible value, a MAC that verifies under its device's pre-shared \
            key, and a seq above the device's last one. Every other line goes to --rejects \
            with its line number and reason, and the exit status is 65.
            """,
        version: EHXVersion.string
    )

    @Argument(help: "Readings file ('-' or none: stdin).")
    var input: String = "-"

    @Option(help: "The gateway's device PSK file (from ehx-keygen psk).")
    var psk: String

    @Option(help: "Append refused lines here as JSON with file, line and reason.")
    var rejects: String?

    @Option(help: "Append an alert record here for each abnormal reading (sign them with ehx-sign --type alert).")
    var alerts: String?

    @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
    var quiet = false

    func run() throws {
        let diagnostics = Diagnostics(tool: "ehx-ingest", quiet: quiet)
        var status = Sysexits.ok
        try reportingFailures(diagnostics) {
            let keys = try PSKFile.load(path: psk)
            let output = try LineWriter(path: "-")
            let alertSink = try alerts.map { path throws(ToolError) in try LineWriter(path: path) }
            let pipeline = try RecordPipeline(input: input, rejects: rejects, diagnostics: diagnostics)
            var gate = ReadingGate(keys: keys)
            var alertCount = 0
            try pipeline.run { json in
                let reading = try gate.admit(json)
                try output.write(.object(reading.object))
                if let alert = AlertRules.evaluate(reading) {
                    alertCount += 1
                    let text = "ALERT \(alert.level.rawValue): patient \(alert.patient): \(alert.reasons.joined(separator: "; "))"
                    if let alertSink {
                        try alertSink.write(alert.json)
                        diagnostics.note(text)
                    } else {
                        // With no --alerts file stderr is the only place an alert
                        // lands, so --quiet must not silence it.
                        diagnostics.error(text)
                    }
                }
            }
            try output.close()
            try alertSink?.close()
            let c = pipeline.counts
            diagnostics.note("\(pipeline.inputName): \(c.accepted) accepted, \(c.rejected) rejected, \(alertCount) alerts")
            status = pipeline.exitStatus
        }
        try exitUnlessOK(status)
    }
}
