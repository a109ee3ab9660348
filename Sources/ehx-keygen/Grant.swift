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
            discussion: "Sign it as the authority: ehx-keygen grant ... | ehx-sign --type key --key authority.key | ehx-mine .... It takes effect from the block after the one that carries it. On a rules-2 chain a gateway or device key signs readings only for the devices bound to it: --device (repeatable) and --psk (every device of a PSK file) bind them, with --pseudonym-key their device pseudonyms instead (for sealed readings; the ids stay off the chain), and --seq N sets their last seq (the reset of a device a forged seq ran ahead). --enc attaches the key's X25519 reader key, so sealed readings are wrapped for it when the read policy lets its role read them."
        )

        @Option(help: "The role to grant (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).", completion: .list(Role.allCases.map(\.rawValue)))
        var role: String

        @Option(help: "The Ed25519 public key file (NAME.pub) of the key to grant it to.", completion: .file())
        var key: String

        @Option(help: "The X25519 public key file (NAME.enc.pub) to attach for reading sealed data.")
        var enc: String?

        @Option(help: "Bind this device id to the key (repeatable; gateway and device roles, rules 2).")
        var device: [String] = []

        @Option(help: "Bind every device of this PSK file to the key.")
        var psk: String?

        @Option(help: "Bind the devices' pseudonyms under this key instead of their ids (for sealed readings).")
        var pseudonymKey: String?

        @Option(help: "With bound devices: set their last seq to N from the next block (an authority's reset).")
        var seq: Int64?

        func run() throws {
            try reportingFailures(Diagnostics(tool: "ehx-keygen")) {
                let devices = try DeviceArguments.resolve(ids: device, pskFile: psk, pseudonymKey: pseudonymKey)
                if seq != nil && devices.isEmpty { throw ToolError(.usage, "--seq needs --device or --psk") }
                let change = KeyChange(action: .grant, role: try roleArgument(role), key: try KeyFile.readPublicKey(path: key),
                                       encryptionKey: try enc.map { (path: String) throws(KeyFileError) in
                                           try KeyFile.readEncryptionPublicKey(path: path).rawRepresentation
                                       }, devices: devices, seq: seq)
                do { try TransactionBody.check(change.json, type: .key) } catch { throw ToolError(.usage, "\(error)") }
                print(change.json.canonicalString)
            }
        }
    }
}
