import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct FHIR: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fhir",
            abstract: "Write the readings and alerts as a FHIR R4 Bundle (type collection).",
            discussion: "Readings are Observations: LOINC codes, UCUM units, the vital-signs category and profile, BP as components, SpO2 coded 2708-6 and 59408-5, EMG samples as valueSampledData (with --emg-period), an absent reading with dataAbsentReason. Each alert is a RiskAssessment and an Observation of the NEWS2 total (SNOMED CT 1104051000000101), labelled partial when parameters were missing. Each resource's identifier (urn:ehx:txid) is its txid; meta.tag (urn:ehx:block) is the block hash. Sealed records are skipped and counted on stderr. See FHIR EXPORT in ehx(7)."
        )

        @ParentCommand var query: Query

        @Option(help: "Only readings about this patient.")
        var patient: String?

        @Option(help: "Only readings from this device.")
        var device: String?

        @Option(help: "Only readings at or after this time (RFC 3339 or Unix seconds).")
        var since: String?

        @Option(help: "Only readings before this time (RFC 3339 or Unix seconds).")
        var until: String?

        @Option(help: "Milliseconds between EMG samples, to export them as valueSampledData (ehx records no sample rate; without it only the RMS is exported).")
        var emgPeriod: Double?

        @Flag(help: "Export readings only, not the alerts' RiskAssessments and NEWS2 totals.")
        var noAlerts = false

        @OptionGroup var index: IndexOptions

        @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
        var quiet = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            try reportingFailures(diagnostics) {
                if let emgPeriod, !(emgPeriod > 0 && emgPeriod.isFinite) { throw ToolError(.usage, "--emg-period must be a positive number of milliseconds") }
                let filter = try TxFilter(type: nil, device: device, patient: patient, since: since, until: until)
                let bundle = FHIRBundleWriter(output: try LineWriter(path: "-"))
                var skipped = 0
                let answer = try TxSource.forEachMatch(chain: query.chain, filter: filter, index: index.db, useIndex: !index.noIndex,
                                                       diagnostics: diagnostics) { (found: IndexedTransaction) throws(ToolError) in
                    let tx = try found.transaction()
                    guard tx.type == .reading || (tx.type == .alert && !noAlerts) else { return }
                    guard let blockHash = SHA256Digest(displayHex: found.blockHash) else {
                        skipped += 1
                        return
                    }
                    if tx.type == .alert {
                        let resources = FHIRExport.alertResources(tx, height: found.height, blockHash: blockHash)
                        if resources.isEmpty { skipped += 1 }
                        for r in resources { try bundle.add(r.resource, fullUrl: r.fullUrl) }
                        return
                    }
                    guard let obs = FHIRExport.observation(tx, height: found.height, blockHash: blockHash, emgPeriodMs: emgPeriod) else {
                        skipped += 1
                        return
                    }
                    try bundle.add(obs, fullUrl: FHIRExport.uuid(tx.txid))
                }
                try bundle.finish(timestamp: Timestamp(millisecondsSince1970: (answer.tip?.time ?? 0) * 1000))
                if skipped > 0 { diagnostics.note("\(skipped) record\(skipped == 1 ? "" : "s") not exported (sealed, or not a plain reading or alert)") }
            }
        }
    }
}
