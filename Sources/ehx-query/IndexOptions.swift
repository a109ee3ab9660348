import ArgumentParser

/// Where txs, fhir and report take their answer from: the index when it is
/// current (or a PostgreSQL one, which needs no chain file), else a scan.
struct IndexOptions: ParsableArguments {
    @Option(name: [.customLong("db"), .customLong("index")],
            help: "Answer from this index: a postgres:// URI (no chain file needed; with txs --key, sealed bodies come sealed and are opened here) or a SQLite file, used when current (default: CHAIN.index.sqlite).",
            completion: .file())
    var db: String?

    @Flag(help: "Scan the chain even when a current index exists.")
    var noIndex = false

    /// Whether either was given (they choose where a plain answer comes from).
    var given: Bool { db != nil || noIndex }
}
