import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Keygen {
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair: NAME.key (PKCS#8, 0600) and NAME.pub (SPKI).",
            discussion: "Prints one JSON line with the role, the public key (base64url) and its id (hex SHA-256 of the raw key). The role is recorded on the chain by a genesis grant or a key transaction, not in the files. With --enc, also an X25519 key pair for opening sealed readings: NAME.enc.key (PKCS#8, 0600) and NAME.enc.pub (SPKI), and the line gains \"enc\" (the raw X25519 public key, base64url); give NAME.enc.pub to ehx-keygen grant --enc."
        )

        @Option(help: "The role the key is meant for (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).", completion: .list(Role.allCases.map(\.rawValue)))
        var role: String

        @Option(name: .shortAndLong, help: "Path prefix of the files to write: NAME.key and NAME.pub.", completion: .file())
        var output: String

        @Option(help: "Encrypt the private key with the passphrase in this file (or set EHX_PASSPHRASE).", completion: .file())
        var passphraseFile: String?

        @Flag(help: "Also make an X25519 key pair for reading sealed data: NAME.enc.key (0600) and NAME.enc.pub.")
        var enc = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                let role = try roleArgument(role)
                // Every name is checked first so a refusal leaves no half set behind.
                let paths = [output + ".key", output + ".pub"] + (enc ? [output + ".enc.key", output + ".enc.pub"] : [])
                for path in paths where fileExists(path) {
                    throw KeyFileError.exists(path: path)
                }
                let key = try Ed25519.PrivateKey()
                let passphrase = try Passphrase.load(file: passphraseFile)
                try KeyFile.writePrivateKey(key, path: output + ".key", passphrase: passphrase)
                try KeyFile.writePublicKey(key.publicKey, path: output + ".pub")
                var line: [String: JSONValue] = [
                    "role": .string(role.rawValue),
                    "key": .string(Base64URL.encode(key.publicKey.rawRepresentation)),
                    "id": .string(key.publicKey.id.hex),
                    "private": .string(output + ".key"),
                    "public": .string(output + ".pub"),
                ]
                if enc {
                    let encryptionKey = try X25519.PrivateKey()
                    try KeyFile.writeEncryptionKey(encryptionKey, path: output + ".enc.key", passphrase: passphrase)
                    try KeyFile.writeEncryptionPublicKey(encryptionKey.publicKey, path: output + ".enc.pub")
                    line["enc"] = .string(Base64URL.encode(encryptionKey.publicKey.rawRepresentation))
                    line["enc_private"] = .string(output + ".enc.key")
                    line["enc_public"] = .string(output + ".enc.pub")
                }
                print(JSONValue.object(line).canonicalString)
            }
        }
    }
}
