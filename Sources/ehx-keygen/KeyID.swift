import ArgumentParser
import EHXCommandLine
import EHXShared

extension Keygen {
    struct KeyID: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "id",
            abstract: "Print the id of each key file: the hex SHA-256 of its raw public key, as the chain and ehx-verify name keys.",
            discussion: "Prints one JSON line per file: {\"algorithm\",\"file\",\"id\",\"key\",\"private\"}, with algorithm ed25519 or x25519, key the raw public key (base64url) and private true for a private key file (only its public half is shown). Reads NAME.key, NAME.pub, NAME.enc.key and NAME.enc.pub alike. To find the file of an id ehx-verify printed: ehx-keygen id keys/*.pub | grep ID."
        )

        @Argument(help: "Key files (PEM: public, or private with --passphrase-file / EHX_PASSPHRASE when encrypted).", completion: .file())
        var files: [String]

        @Option(help: "Passphrase file for encrypted private keys (or set EHX_PASSPHRASE).", completion: .file())
        var passphraseFile: String?

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                let passphrase = try Passphrase.load(file: passphraseFile)
                let output = try LineWriter(path: "-")
                for file in files {
                    let key = try KeyIdentity.read(path: file, passphrase: passphrase)
                    try output.write([
                        "algorithm": .string(key.algorithm.rawValue), "file": .string(file), "id": .string(key.id.hex),
                        "key": .string(Base64URL.encode(key.publicKey)), "private": .bool(key.isPrivate),
                    ])
                }
                try output.close()
            }
        }
    }
}
