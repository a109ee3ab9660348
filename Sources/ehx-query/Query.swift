import ArgumentParser
import EHXCommandLine
import EHXShared

@main
struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-query",
        abstract: "Read transactions and blocks from an ehx chain file.",
        discussion: "Query reads the chain as it is; it does not judge it. Run ehx-verify for that.",
        version: EHXVersion.string,
        subcommands: [Txs.self, TxCommand.self, BlockCommand.self, Tip.self, Blocks.self, Proof.self, Headers.self, FHIR.self, Index.self, Firmware.self, Report.self, Blobs.self]
    )

    @Option(help: "The chain file (default: $EHX_CHAIN, else chain.jsonl).", completion: .file())
    var chain: String = ProcessInfoLite.environment("EHX_CHAIN") ?? "chain.jsonl"

    @Option(help: "The content-addressed blob store (ehx-sign --seal --store) that holds sealed parts and firmware images; before anything is read from it, the chain's erasures are applied to it.", completion: .directory)
    var store: String?

    /// Options before or after the subcommand's name (see SubcommandMain).
    static func main() { SubcommandMain.run(Query.self) }
}
