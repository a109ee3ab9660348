import ArgumentParser
import EHXCommandLine
import EHXShared

@main
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-keygen",
        abstract: "Make ehx signing and reader keys, device pre-shared keys, key grants and the genesis block.",
        version: EHXVersion.string,
        subcommands: [Key.self, KeyID.self, PSK.self, Genesis.self, Grant.self, Revoke.self, Pseudonym.self, FirmwareBody.self]
    )

    /// Options before or after the subcommand's name (see SubcommandMain).
    static func main() { SubcommandMain.run(Keygen.self) }
}
