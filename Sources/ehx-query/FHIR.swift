import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct FHIR: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fhir",
            abstract: "Write the readings as a FHIR R4 Bundle (type collection) of Observations.",
            discussion: "LOINC codes, UCUM units, the vital-signs category and profile, BP as components, SpO2 coded 2708-6 and 59408-5, EMG samples as valueSampledData. Each Observation's id and identifier (urn:ehx:txid) are its txid; meta.tag (urn:ehx:block) is the block hash. Sealed readings are skipped and counted on stderr. See FHIR EXPORT in ehx(7)."
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

        @Option(help: "Milliseconds between EMG samples in valueSampledData (ehx records no sample rate).")
        var emgPeriod: Double = 1

        @Option(help: "The index to use when current (default: CHAIN.index.sqlite).")
        var index: String?

        @Flag(help: "Scan the chain even when a current index exists.")
        var noIndex = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query")
            try reportingFailures(diagnostics) {
                guard emgPeriod > 0, emgPeriod.isFinite else { throw ToolError(.usage, "--emg-period must be a positive number of milliseconds") }
                let filter = try TxFilter(type: "reading", device: device, patient: patient, since: since, until: until)
                let bundle = FHIRBundleWriter(output: try LineWriter(path: "-"))
                var skipped = 0
                let (_, tip) = try TxSource.forEachLocated(chain: query.chain, filter: filter, index: index, useIndex: !noIndex,
                                                           diagnostics: diagnostics) { (tx, height, blockHash) throws(ToolError) in
                    guard let obs = FHIRExport.observation(tx, height: height, blockHash: blockHash, emgPeriodMs: emgPeriod) else {
                        skipped += 1
                        return
                    }
                    try bundle.add(obs, fullUrl: FHIRExport.uuid(tx.txid))
                }
                try bundle.finish(timestamp: Timestamp(millisecondsSince1970: tip.time * 1000))
                if skipped > 0 { diagnostics.note("\(skipped) reading\(skipped == 1 ? "" : "s") not exported (sealed, or not a plain reading)") }
            }
        }
    }
}
