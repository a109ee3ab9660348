import ArgumentParser
import EHXCommandLine
import EHXShared

@main
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-keygen",
        abstract: "Make ehx signing keys, device pre-shared keys and the genesis block.",
        version: EHXVersion.string,
        subcommands: [Key.self, PSK.self, Genesis.self, FirmwareBody.self]
    )
}

extension Keygen {
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair: NAME.key (PKCS#8, 0600) and NAME.pub (SPKI).",
            discussion: "Prints one JSON line with the role, the public key (base64url) and its id (hex SHA-256 of the raw key). The role is recorded on the chain by a genesis grant or a key transaction, not in the files."
        )

        @Option(help: "The role the key is meant for (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).")
        var role: String

        @Option(name: .shortAndLong, help: "Path prefix of the files to write: NAME.key and NAME.pub.")
        var output: String

        @Option(help: "Encrypt the private key with the passphrase in this file (or set EHX_PASSPHRASE).")
        var passphraseFile: String?

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                let role = try roleArgument(role)
                // Both names are checked first so a refusal leaves no half pair behind.
                for path in [output + ".key", output + ".pub"] where fileExists(path) {
                    throw ToolError(.cantCreate, "\(path): already exists; keys are never overwritten")
                }
                let key = try Ed25519.PrivateKey()
                let passphrase = try Passphrase.load(file: passphraseFile)
                try KeyFile.writePrivateKey(key, path: output + ".key", passphrase: passphrase)
                try KeyFile.writePublicKey(key.publicKey, path: output + ".pub")
                let line: JSONValue = [
                    "role": .string(role.rawValue),
                    "key": .string(Base64URL.encode(key.publicKey.rawRepresentation)),
                    "id": .string(key.publicKey.id.hex),
                    "private": .string(output + ".key"),
                    "public": .string(output + ".pub"),
                ]
                print(line.canonicalString)
            }
        }
    }

    struct PSK: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "psk",
            abstract: "Add a device's random 32-byte pre-shared key to a PSK file (created 0600).",
            discussion: "The same file is given to ehx-sign --psk on the device side and to ehx-ingest --psk on the gateway. The key itself is never printed. --rotate gives an existing device a new key and keeps the old one, recorded in the file with the end of its grace window, so the gateway accepts readings MACed with either until the device has been re-provisioned."
        )

        @Option(help: "The device id, as it appears in the readings' \"device\" field.")
        var device: String

        @Option(help: "The PSK file to create or update.")
        var psk: String

        @Flag(help: "Replace the device's existing key (the old key stops working at once).")
        var replace = false

        @Flag(help: "Give the device a new key; the old one is still accepted for --grace.")
        var rotate = false

        @Option(help: "With --rotate: how long the old key stays valid (seconds, or 30m, 24h, 7d).")
        var grace: String = "24h"

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                guard !device.isEmpty, device.utf8.count <= 128, !device.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                    throw ToolError(.usage, "--device must be 1 to 128 printable characters")
                }
                guard !(replace && rotate) else { throw ToolError(.usage, "give at most one of --replace and --rotate") }
                guard let graceMs = DurationArgument.milliseconds(grace) else {
                    throw ToolError(.usage, "--grace \(grace): expected a duration such as 3600, 30m, 24h or 7d")
                }
                var file = try PSKFile.loadOrEmpty(path: psk)
                let newKey = try SecureRandom.bytes(count: PSKFile.keyBytes)
                var line: JSONValue = ["device": .string(device), "psk": .string(psk)]
                if rotate {
                    guard file.key(for: device) != nil else {
                        throw ToolError(.dataErr, "\(psk): device \(device) has no key to rotate")
                    }
                    let now = Timestamp.now()
                    let until = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + graceMs)
                    file.rotate(device: device, newKey: newKey, graceUntil: until, now: now)
                    line = ["device": .string(device), "psk": .string(psk), "previous_until": .string(until.description)]
                } else {
                    if file.key(for: device) != nil && !replace {
                        throw ToolError(.cantCreate, "\(psk): device \(device) already has a key (use --rotate or --replace to change it)")
                    }
                    file.add(device: device, key: newKey)
                }
                try file.save(path: psk)
                print(line.canonicalString)
            }
        }
    }

    struct Genesis: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write block 0 of a new chain: the authority's signed rules, mined at --bits.",
            discussion: "Refuses to overwrite an existing file. Prints the genesis hash: give it to auditors (ehx-verify --genesis HASH)."
        )

        @Option(help: "The authority's private key (its public key is the chain's authority).")
        var authority: String

        @Option(help: "Proof-of-work target in Bitcoin compact form, 8 hex digits (1f00ffff: about 65,000 hashes a block; 1e0fffff: about 1 M).")
        var bits: String = "1f00ffff"

        @Option(help: "A name for the chain.")
        var name: String = "ehx"

        @Option(help: "Grant a role to a public key from block 1 on: ROLE=PUBFILE (repeatable).")
        var grant: [String] = []

        @Option(help: "Most transactions in one block (stamp included).")
        var maxBlockTxs: Int64 = ChainRules.defaultMaxBlockTxs

        @Option(help: "Most bytes in one block line.")
        var maxBlockBytes: Int64 = ChainRules.defaultMaxBlockBytes

        @Option(name: .shortAndLong, help: "The chain file to create.")
        var output: String

        @Option(help: "Passphrase file for an encrypted authority key (or set EHX_PASSPHRASE).")
        var passphraseFile: String?

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                guard let target = CompactTarget(bitsHex: bits) else {
                    throw ToolError(.usage, "--bits \(bits): not a compact target (8 lowercase hex digits such as 1f00ffff)")
                }
                let key = try KeyFile.readPrivateKey(path: authority, passphrase: try Passphrase.load(file: passphraseFile))
                var grants: [ChainRules.Grant] = []
                for spec in grant {
                    let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw ToolError(.usage, "--grant \(spec): expected ROLE=PUBFILE") }
                    let role = try roleArgument(parts[0])
                    grants.append(ChainRules.Grant(role: role, key: try KeyFile.readPublicKey(path: parts[1])))
                }
                let rules = ChainRules(chain: name, authorities: [key.publicKey], bits: target,
                                       maxBlockTxs: maxBlockTxs, maxBlockBytes: maxBlockBytes, grants: grants)
                do { _ = try ChainRules(parsing: rules.json) } catch {
                    throw ToolError(.usage, "invalid rules: \(error)")
                }
                let tx = try Transaction.sign(type: .genesis, body: rules.json, key: key)
                let merkle = MerkleTree.root(leaves: [tx.leaf])
                let header = BlockHeader(version: ChainValidator.headerVersion, prev: .zero, merkle: merkle,
                                         time: UInt32(clamping: Timestamp.now().unixSeconds), bits: target.bits, nonce: 0)
                guard let mined = NonceSearch.search(header, target: target, from: 0, through: UInt32.max) else {
                    throw ToolError(.usage, "no nonce meets bits \(bits); choose an easier target")
                }
                let block = Block(height: 0, header: mined, txs: [tx])
                try ChainFile.create(path: output, firstLine: block.canonicalLine)
                let line: JSONValue = ["chain": .string(output), "genesis": .string(block.claimedHash.displayHex)]
                print(line.canonicalString)
            }
        }
    }
}


extension Keygen {
    struct FirmwareBody: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "firmware",
            abstract: "Print the body of a firmware transaction for an image: vendor, model, version, sha256 and size.",
            discussion: "sha256 and size are computed from FILE. Sign the line with ehx-sign --type firmware --key MANUFACTURER.key; the chain counts it only if that key holds the manufacturer role. With --revoke the body withdraws that release (same vendor, model, version and image)."
        )

        @Argument(help: "The firmware image.")
        var file: String

        @Option(help: "The manufacturer's name.")
        var vendor: String

        @Option(help: "The device model the image is for.")
        var model: String

        @Option(help: "The release's version string.")
        var version: String

        @Option(help: "Where the image can be fetched (informational).")
        var url: String?

        @Flag(help: "Make a revocation of this release instead of a release.")
        var revoke = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                let (digest, size) = try SHA256File.digest(path: file)
                let release = FirmwareRelease(vendor: vendor, model: model, version: version, sha256: digest, size: size,
                                              url: url, revoked: revoke)
                // Checked as the chain will check it, so a bad name is a usage error now.
                do { _ = try FirmwareRelease(parsing: release.json) } catch {
                    throw ToolError(.usage, "\(error)")
                }
                print(release.json.canonicalString)
            }
        }
    }
}
