import ArgumentParser
import EHXCommandLine
import EHXReport
import EHXShared

extension Query {
    struct Report: ParsableCommand, UsageRules {
        static let configuration = CommandConfiguration(
            abstract: "Write one patient's vital signs as a self-contained HTML page: charts, NEWS2, alerts.",
            discussion: """
                The page holds one chart per vital sign (heart rate, temperature, SpO2, \
                respiration, blood pressure, EMG) with the NEWS2 bands shaded behind the line \
                and each alert marked (its reasons in the marker's tooltip), the NEWS2 \
                aggregate over time coloured by clinical risk, a table of alerts, and the chain \
                tip, block heights and ehx-verify command that vouch for it. Inline SVG and CSS \
                only: no script, nothing fetched. Plain readings are always shown; sealed ones \
                only when --key opens them. --patient matches a plain record's patient, a sealed \
                record's pseudonym, or the patient id inside a body the key opened. Long ranges \
                are drawn per pixel column (minimum and maximum). Exit 66 when nothing on the \
                chain is about the patient in the range, 77 when there are only sealed records \
                the key cannot open, 1 when a sealed record failed authentication (the page is \
                written without it).
                """
        )

        @ParentCommand var query: Query

        @Option(help: "The patient: an id, or the pseudonym of sealed records.")
        var patient: String

        @Option(help: "Only records at or after this time (RFC 3339 or Unix seconds).")
        var since: String?

        @Option(help: "Only records before this time (RFC 3339 or Unix seconds).")
        var until: String?

        @Option(help: "Open sealed readings and alerts as this reader (its Ed25519 key; its id finds the entries).", completion: .file())
        var key: String?

        @Option(help: "The reader's X25519 key (default: KEY with .key replaced by .enc.key).", completion: .file())
        var encKey: String?

        @Option(help: "Passphrase file for encrypted keys (or set EHX_PASSPHRASE).", completion: .file())
        var passphraseFile: String?

        @Option(name: .shortAndLong, help: "Write the page here ('-': stdout).", completion: .file())
        var output: String = "-"

        func checkUsage() throws {
            if key == nil, encKey != nil { throw ValidationError("--enc-key needs --key") }
            guard !patient.isEmpty else { throw ValidationError("--patient must not be empty") }
        }

        func run() throws {
            try checkUsage()
            let diagnostics = Diagnostics(tool: "ehx-query")
            var status = Sysexits.ok
            try reportingFailures(diagnostics) {
                let filter = try TxFilter(type: nil, device: nil, patient: nil, since: since, until: until)
                let reader = try key.map { try openKeys(key: $0) }
                var genesis = "", tip = "", height: Int64 = -1
                var found = PatientRecords(patient: patient, reader: reader)
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in
                    if block.height == 0 { genesis = block.claimedHash.displayHex }
                    tip = block.claimedHash.displayHex
                    height = block.height
                    for tx in block.txs where (tx.type == .reading || tx.type == .alert) && filter.matches(tx) {
                        found.add(tx, height: block.height)
                    }
                }
                if found.readings.isEmpty && found.alerts.isEmpty {
                    if found.notOpened > 0 || found.tampered > 0 {
                        throw ToolError(.noPerm, "patient \(patient): \(found.notOpened) sealed record(s) in range, none of them opened by "
                                        + (key.map { "\($0)" } ?? "anyone without --key") + "; no page written")
                    }
                    throw ToolError(.noInput, "patient \(patient): no reading or alert on \(query.chain)\(rangeText); no page written"
                                    + " (for sealed records give the pseudonym or a --key that opens them)")
                }
                var report = PatientReport(
                    patient: patient, since: filter.since, until: filter.until,
                    source: .init(chainPath: query.chain, genesisHash: genesis, tipHash: tip, tipHeight: height),
                    command: CommandLine.arguments.map(PatientReport.shellQuote).joined(separator: " "))
                report.readings = found.readings
                report.alerts = found.alerts
                report.reader = reader?.kid
                report.opened = found.opened
                report.notOpened = found.notOpened
                report.tampered = found.tampered
                try Page.write(report.html(), to: output)
                diagnostics.note("\(output == "-" ? "stdout" : output): \(Plural.count(found.readings.count, "reading")), \(Plural.count(found.alerts.count, "alert"))"
                                 + (reader == nil ? "" : "; \(found.opened) opened, \(found.notOpened) not for this key"))
                if found.tampered > 0 {
                    diagnostics.error("\(found.tampered) sealed record(s) failed authentication: altered after sealing; not shown")
                    status = .checkedBad
                }
            }
            try exitUnlessOK(status)
        }

        private var rangeText: String {
            (since.map { " from \($0)" } ?? "") + (until.map { " until \($0)" } ?? "")
        }

        private func openKeys(key: String) throws -> ReportReader {
            let keys = try ReaderKeys(key: key, encKey: encKey, passphraseFile: passphraseFile)
            guard let enc = keys.enc else { throw ToolError(.noInput, "\(key): \(ReaderKeys.missingEncKey)") }
            return ReportReader(kid: keys.signing.publicKey.id.hex, enc: enc)
        }
    }
}

/// A reader's key id and X25519 key: what `Sealing.open` needs.
struct ReportReader {
    let kid: String
    let enc: X25519.PrivateKey
}

/// The readings and alerts of one patient that a reader may see.
struct PatientRecords {
    let patient: String
    let reader: ReportReader?
    var readings: [PatientReport.Reading] = []
    var alerts: [PatientReport.AlertMark] = []
    var opened = 0, notOpened = 0, tampered = 0

    mutating func add(_ tx: Transaction, height: Int64) {
        guard SealedBody.isSealed(tx.body) else {
            if tx.body["patient"]?.stringValue == patient { take(tx.body, type: tx.type, height: height) }
            return
        }
        guard let sealed = try? SealedBody(parsing: tx.body) else { return }
        let pseudonymMatches = sealed.patient == patient
        guard let reader else {
            if pseudonymMatches { notOpened += 1 }
            return
        }
        // Opening costs an HPKE decryption: a pseudonym match, or a body
        // that may carry the patient's id (the key is a recipient), only.
        let isRecipient = sealed.views.values.contains { $0.recipient(kid: reader.kid) != nil }
        guard pseudonymMatches || isRecipient else { return }
        guard tx.hasValidSignature else {
            if pseudonymMatches { tampered += 1 }
            return
        }
        switch Sealing.open(sealed, kid: reader.kid, key: reader.enc) {
        case let .opened(_, body):
            guard pseudonymMatches || body["patient"]?.stringValue == patient else { return }
            opened += 1
            take(body, type: tx.type, height: height)
        case .notRecipient:
            if pseudonymMatches { notOpened += 1 }
        case .tampered:
            if pseudonymMatches { tampered += 1 }
        }
    }

    /// A reading's or alert's kind, time and value (research views carry no device or seq).
    private mutating func take(_ body: JSONValue, type: TxType, height: Int64) {
        guard let kindName = body["kind"]?.stringValue, let kind = ReadingKind(rawValue: kindName),
              let ts = body["ts"]?.stringValue.flatMap(Timestamp.init(rfc3339:)), let value = body["value"] else { return }
        if type == .reading {
            readings.append(.init(t: ts.millisecondsSince1970, kind: kind, value: value, height: height))
        } else if let level = body["level"]?.stringValue.flatMap(Alert.Level.init(rawValue:)) {
            let reasons = (body["reasons"]?.arrayValue ?? []).compactMap(\.stringValue)
            alerts.append(.init(t: ts.millisecondsSince1970, kind: kind, value: value, level: level, reasons: reasons, height: height))
        }
    }
}
