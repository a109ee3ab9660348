import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Index: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build or bring up to date the index: SQLite beside the chain, or PostgreSQL; or print it as PostgreSQL COPY input.",
            discussion: "Indexes transactions by id, type, device, patient and time, and blocks by height and hash; only blocks after the covered tip are read, in batches of --batch-size transactions, each committed with the tip it reaches (a killed run keeps every whole batch). Prints {\"blocks\",\"transactions\",\"height\",\"tip\",\"index\",\"rebuilt\"}. txs uses a SQLite index while it is current and warns when it is stale. With --db postgres://..., the tables (and each transaction's canonical bytes) go to that PostgreSQL database, which txs, fhir and report --db read without the chain file. With --emit-sql, writes CREATE TABLE and COPY ... FROM stdin blocks for psql (after updating the index)."
        )

        @ParentCommand var query: Query

        @Option(help: "The index: a SQLite file (default: CHAIN.index.sqlite) or a postgres:// URI (password from ~/.pgpass or PGPASSWORD, not the URI).", completion: .file())
        var db: String?

        @Option(help: "Transactions per database transaction.")
        var batchSize: Int = ChainIndex.defaultBatch

        @Flag(help: "Write the index as SQL for PostgreSQL (createdb ehx && ehx-query index --emit-sql | psql ehx).")
        var emitSQL = false

        @Flag(name: .shortAndLong, help: "No progress notes.")
        var quiet = false

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
        }

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            try reportingFailures(diagnostics) {
                guard query.chain != "-" else { throw ToolError(.usage, "index needs a chain file, not stdin") }
                let location = IndexLocation(db ?? ChainIndex.defaultPath(chain: query.chain))
                let index = try ChainIndex(location: location, create: true)
                let summary = try index.update(chain: query.chain, batchTransactions: batchSize,
                                               progress: ProgressMeter(tool: "ehx-query", doing: "indexing", quiet: quiet)) {
                    diagnostics.note("\(index.name): \($0)")
                }
                let output = try LineWriter(path: "-")
                if emitSQL {
                    let cursor = try ChainCursor(path: query.chain)
                    try index.emitSQL(chain: cursor) { (line: String) throws(ToolError) in try output.write(text: line) }
                } else {
                    let tip = summary.tip
                    let line: JSONValue = [
                        "index": .string(index.name), "blocks": .number(Double(summary.blocks)),
                        "transactions": .number(Double(summary.transactions)),
                        "height": .number(Double(tip?.height ?? -1)), "tip": .string(tip?.tip ?? ""),
                        "rebuilt": .bool(summary.rebuilt),
                    ]
                    try output.write(line)
                }
                try output.close()
            }
        }
    }
}
