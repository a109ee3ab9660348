import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Index: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build or bring up to date the SQLite index beside the chain; or print it as PostgreSQL COPY input.",
            discussion: "Indexes transactions by id, type, device, patient and time, and blocks by height and hash; only blocks after the covered tip are read. Prints {\"blocks\",\"transactions\",\"height\",\"tip\",\"index\"}. txs uses the index while it is current and warns when it is stale. With --emit-sql, writes CREATE TABLE and COPY ... FROM stdin blocks for psql (after updating the index)."
        )

        @ParentCommand var query: Query

        @Option(help: "The index file (default: CHAIN.index.sqlite).")
        var db: String?

        @Flag(help: "Write the index as SQL for PostgreSQL (createdb ehx && ehx-query index --emit-sql | psql ehx).")
        var emitSQL = false

        @Flag(name: .shortAndLong, help: "No progress notes.")
        var quiet = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            try reportingFailures(diagnostics) {
                guard query.chain != "-" else { throw ToolError(.usage, "index needs a chain file, not stdin") }
                let path = db ?? ChainIndex.defaultPath(chain: query.chain)
                let index = try ChainIndex(path: path, create: true)
                let summary = try index.update(chain: query.chain, progress: ProgressMeter(tool: "ehx-query", doing: "indexing", quiet: quiet)) {
                    diagnostics.note("\(path): \($0)")
                }
                let output = try LineWriter(path: "-")
                if emitSQL {
                    try index.emitSQL { (line: String) throws(ToolError) in try output.write(text: line) }
                } else {
                    let tip = summary.tip
                    let line: JSONValue = [
                        "index": .string(path), "blocks": .number(Double(summary.blocks)),
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
