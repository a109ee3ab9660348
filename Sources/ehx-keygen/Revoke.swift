import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Keygen {
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the body of a key transaction revoking a role from a public key.",
            discussion: "Sign it with ehx-sign --type key --key authority.key. From the block after the one that carries it, the key's signatures for that role are refused (ehx-mine) and reported (ehx-verify, rule role), and new sealed readings are no longer wrapped for it. Readings sealed before stay readable with its X25519 key: see ehx(7), REVOCATION. With --device or --psk it unbinds only those devices from the key (rules 2) and the role stays."
        )

        @Option(help: "The role to revoke.", completion: .list(Role.allCases.map(\.rawValue)))
        var role: String

        @Option(help: "The Ed25519 public key file (NAME.pub) of the key.", completion: .file())
        var key: String

        @Option(help: "Unbind this device id from the key, keeping its role (repeatable).")
        var device: [String] = []

        @Option(help: "Unbind every device of this PSK file.")
        var psk: String?

        @Option(help: "Unbind the devices' pseudonyms under this key instead of their ids.")
        var pseudonymKey: String?

        func run() throws {
            try reportingFailures(Diagnostics(tool: "ehx-keygen")) {
                let devices = try DeviceArguments.resolve(ids: device, pskFile: psk, pseudonymKey: pseudonymKey)
                let change = KeyChange(action: .revoke, role: try roleArgument(role), key: try KeyFile.readPublicKey(path: key), devices: devices)
                do { try TransactionBody.check(change.json, type: .key) } catch { throw ToolError(.usage, "\(error)") }
                print(change.json.canonicalString)
            }
        }
    }
}
