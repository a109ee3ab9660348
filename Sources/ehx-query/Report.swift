#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

        @Option(help: "The gateway's ehx-ingest --rules file, so the NEWS2 strip uses its freshness and SpO2 scale (without it: the defaults, and scale 2 when the gateway's alerts for the patient say so).", completion: .file())
        var rules: String?

        @Option(help: "The gateway's ehx-ingest --window (freshness of respiration, SpO2 and pulse).")
        var window: String = "15m"

        @Option(name: .shortAndLong, help: "Write the page here ('-': stdout).", completion: .file())
        var output: String = "-"

        @OptionGroup var index: IndexOptions

        @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
        var quiet = false

        func checkUsage() throws {
            if key == nil, encKey != nil { throw ValidationError("--enc-key needs --key") }
            guard DurationArgument.milliseconds(window) != nil else { throw ValidationError("--window \(window): expected a duration such as 900, 15m or 1h") }
            guard !patient.isEmpty else { throw ValidationError("--patient must not be empty") }
        }

        @OptionGroup var ownership: OwnershipOptions

        func run() throws {
            try checkUsage()
            ownership.apply()
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            var status = Sysexits.ok
            try reportingFailures(diagnostics) {
                let filter = try TxFilter(type: nil, device: nil, patient: nil, since: since, until: until)
                let ruleSet = try rules.map { path throws(ToolError) in try IngestRules.load(path: path) } ?? IngestRules()
                let reader = try key.map { try openKeys(key: $0) }
                var found = PatientRecords(patient: patient, reader: reader)
                found.store = try query.followedStore(diagnostics: diagnostics)
                // Without a key only the patient column (id or pseudonym)
                // can match; with one, a body it opens may name the patient.
                let selection = try TxFilter(type: nil, device: nil, patient: reader == nil ? patient : nil, since: since, until: until)
                let answer = try TxSource.forEachMatch(chain: query.chain, filter: selection, index: index.db, useIndex: !index.noIndex,
                                                       diagnostics: diagnostics) { (record: IndexedTransaction) throws(ToolError) in
                    let tx = try record.transaction()
                    if tx.type == .reading || tx.type == .alert { found.add(tx, height: record.height) }
                }
                let genesis = answer.tip?.genesis ?? "", tip = answer.tip?.hash ?? "", height = answer.tip?.height ?? -1
                if found.readings.isEmpty && found.alerts.isEmpty {
                    if found.erased > 0 && found.notOpened == 0 && found.tampered == 0 {
                        throw ToolError(.noInput, "patient \(patient): \(Plural.count(found.erased, "record")) in range, all erased from \(query.store ?? "the store"); no page written")
                    }
                    if found.notOpened > 0 || found.tampered > 0 {
                        throw ToolError(.noPerm, "patient \(patient): \(found.notOpened) sealed record(s) in range, none of them opened by "
                                        + (key.map { "\($0)" } ?? "anyone without --key") + "; no page written")
                    }
                    throw ToolError(.noInput, "patient \(patient): no reading or alert in \(answer.database ?? query.chain)\(rangeText); no page written"
                                    + " (for sealed records give the pseudonym or a --key that opens them)")
                }
                var report = PatientReport(
                    patient: patient, since: filter.since, until: filter.until,
                    source: .init(chainPath: verifiedPath(answer), genesisHash: genesis, tipHash: tip, tipHeight: height, database: answer.database),
                    command: CommandLine.arguments.map { PatientReport.shellQuote(IndexLocation.redactedArgument($0)) }.joined(separator: " "))
                report.engine = RuleEngine(windowMs: DurationArgument.milliseconds(window) ?? RuleEngine.defaultWindowMs, rules: ruleSet)
                report.readings = found.readings
                report.alerts = found.alerts
                report.reader = reader?.kid
                report.opened = found.opened
                report.notOpened = found.notOpened
                report.tampered = found.tampered
                // Patient data, decrypted or not: only its owner reads the page.
                try Page.write(report.html(), to: output, mode: 0o600)
                diagnostics.note("\(output == "-" ? "stdout" : output): \(Plural.count(found.readings.count, "reading")), \(Plural.count(found.alerts.count, "alert"))"
                                 + (reader == nil ? "" : "; \(found.opened) opened, \(found.notOpened) not for this key")
                                 + (found.erased > 0 ? "; \(found.erased) erased" : ""))
                if found.tampered > 0 {
                    diagnostics.error("\(found.tampered) sealed record(s) failed authentication: altered after sealing; not shown")
                    status = .checkedBad
                }
            }
            try exitUnlessOK(status)
        }

        /// The chain file the footer's ehx-verify command names: the one
        /// read, or, for a database, --chain when it is here, else a
        /// placeholder for the reader's copy.
        private func verifiedPath(_ answer: TxSource.Answer) -> String {
            answer.database == nil || access(query.chain, R_OK) == 0 ? query.chain : "CHAIN"
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
    var opened = 0, notOpened = 0, tampered = 0, erased = 0
    /// Where stored bodies' sealed parts are (ehx-query --store).
    var store: BlobStore?

    mutating func add(_ tx: Transaction, height: Int64) {
        guard tx.hasSealedBody else {
            if tx.bodyString("patient")?.sameBytes(as: patient) == true { take(tx.body, type: tx.type, height: height) }
            return
        }
        let sealed: SealedBody
        if let stored = tx.hasStoredBody ? try? StoredBody(parsing: tx.body) : nil {
            let pseudonymMatches = stored.patient.sameBytes(as: patient)
            guard let reader, let store,
                  stored.readers.values.contains(where: { $0.contains(reader.kid) }) || pseudonymMatches else {
                if pseudonymMatches { notOpened += 1 }
                return
            }
            switch stored.open(in: store) {
            case .sealed(let body): sealed = body
            case .erased:
                if pseudonymMatches { erased += 1 }
                return
            case .missing:
                if pseudonymMatches { notOpened += 1 }
                return
            case .bad:
                if pseudonymMatches { tampered += 1 }
                return
            }
        } else {
            guard let inline = try? SealedBody(parsing: tx.body) else { return }
            sealed = inline
        }
        let pseudonymMatches = sealed.patient.sameBytes(as: patient)
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
        switch Sealing.open(sealed, kid: reader.kid, key: reader.enc, type: tx.type, signer: tx.signer) {
        case let .opened(_, body):
            guard pseudonymMatches || body["patient"]?.stringValue?.sameBytes(as: patient) == true else { return }
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
            alerts.append(.init(t: ts.millisecondsSince1970, kind: kind, value: value, level: level, reasons: reasons, height: height,
                                scale: body["news2"]?["scale"]?.integerValue.map(Int.init),
                                partial: body["partial"]?.boolValue == true, artefact: body["artefact"]?.boolValue == true))
        }
    }
}
