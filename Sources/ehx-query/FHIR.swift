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

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                if let emgPeriod, !(emgPeriod > 0 && emgPeriod.isFinite) { throw ToolError(.usage, "--emg-period must be a positive number of milliseconds") }
                let filter = try TxFilter(type: nil, device: device, patient: patient, since: since, until: until)
                let bundle = FHIRBundleWriter(output: try LineWriter(path: "-"))
                var skipped = 0
                var tipTime: UInt32 = 0
                try ChainReader.forEachBlock(path: query.chain) { (_, block, _) throws(ToolError) in
                    tipTime = block.header.time
                    for tx in block.txs where filter.matches(tx) && (tx.type == .reading || (tx.type == .alert && !noAlerts)) {
                        if tx.type == .alert {
                            let resources = FHIRExport.alertResources(tx, height: block.height, blockHash: block.claimedHash)
                            if resources.isEmpty { skipped += 1 }
                            for r in resources { try bundle.add(r.resource, fullUrl: r.fullUrl) }
                            continue
                        }
                        guard let obs = FHIRExport.observation(tx, height: block.height, blockHash: block.claimedHash,
                                                               emgPeriodMs: emgPeriod) else {
                            skipped += 1
                            continue
                        }
                        try bundle.add(obs, fullUrl: FHIRExport.uuid(tx.txid))
                    }
                }
                try bundle.finish(timestamp: Timestamp(millisecondsSince1970: Int64(tipTime) * 1000))
                if skipped > 0 { diagnostics.note("\(skipped) record\(skipped == 1 ? "" : "s") not exported (sealed, or not a plain reading or alert)") }
            }
        }
    }
}
