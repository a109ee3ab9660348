import ArgumentParser
import EHXCommandLine
import EHXReport
import EHXShared

extension Query {
    struct Report: ParsableCommand {
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

        @Option(help: "Open sealed readings and alerts as this reader (its Ed25519 key; its id finds the entries).")
        var key: String?

        @Option(help: "The reader's X25519 key (default: KEY with .key replaced by .enc.key).")
        var encKey: String?

        @Option(help: "Passphrase file for encrypted keys (or set EHX_PASSPHRASE).")
        var passphraseFile: String?

        @Option(name: .shortAndLong, help: "Write the page here ('-': stdout).")
        var output: String = "-"

        @Option(help: "Without --key, the index to use when current (default: CHAIN.index.sqlite).")
        var index: String?

        @Flag(help: "Scan the chain even when a current index exists.")
        var noIndex = false

        func validate() throws {
            if key == nil, encKey != nil { throw ValidationError("--enc-key needs --key") }
            guard !patient.isEmpty else { throw ValidationError("--patient must not be empty") }
        }

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            var status = Sysexits.ok
            try reportingFailures(diagnostics) {
                let reader = try key.map { try openKeys(key: $0) }
                let filter = try TxFilter(type: nil, device: nil, patient: reader == nil ? patient : nil, since: since, until: until)
                var found = PatientRecords(patient: patient, reader: reader)
                // Without a key only records whose patient member is the one
                // asked for can show (plain, or sealed under that pseudonym):
                // the index finds exactly those. A key may open the patient's
                // id inside any sealed body it is a recipient of: a scan.
                let (_, chainTip) = try TxSource.forEachLocated(
                    chain: query.chain, filter: filter, types: [.reading, .alert],
                    index: index, useIndex: reader == nil && !noIndex, diagnostics: diagnostics
                ) { (tx, height, _) throws(ToolError) in
                    found.add(tx, height: height)
                }
                let (genesis, tip, height) = (chainTip.genesis, chainTip.hash, chainTip.height)
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
                diagnostics.note("\(output == "-" ? "stdout" : output): \(found.readings.count) readings, \(found.alerts.count) alerts"
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
