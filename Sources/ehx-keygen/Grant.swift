import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Keygen {
    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the body of a key transaction granting a role to a public key.",
            discussion: "Sign it as the authority: ehx-keygen grant ... | ehx-sign --type key --key authority.key | ehx-mine .... It takes effect from the block after the one that carries it. --enc attaches the key's X25519 reader key, so sealed readings are wrapped for it when the read policy lets its role read them."
        )

        @Option(help: "The role to grant (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).", completion: .list(Role.allCases.map(\.rawValue)))
        var role: String

        @Option(help: "The Ed25519 public key file (NAME.pub) of the key to grant it to.", completion: .file())
        var key: String

        @Option(help: "The X25519 public key file (NAME.enc.pub) to attach for reading sealed data.")
        var enc: String?

        func run() throws {
            try reportingFailures(Diagnostics(tool: "ehx-keygen")) {
                let change = KeyChange(action: .grant, role: try roleArgument(role), key: try KeyFile.readPublicKey(path: key),
                                       encryptionKey: try enc.map { (path: String) throws(KeyFileError) in
                                           try KeyFile.readEncryptionPublicKey(path: path).rawRepresentation
                                       })
                print(change.json.canonicalString)
            }
        }
    }
}
