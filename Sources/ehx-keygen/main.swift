import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-keygen",
        abstract: "Make ehx signing and reader keys, device pre-shared keys, key grants and the genesis block.",
        version: EHXVersion.string,
        subcommands: [Key.self, PSK.self, Genesis.self, Grant.self, Revoke.self, Pseudonym.self, FirmwareBody.self]
    )
}

extension Keygen {
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair: NAME.key (PKCS#8, 0600) and NAME.pub (SPKI).",
            discussion: "Prints one JSON line with the role, the public key (base64url) and its id (hex SHA-256 of the raw key). The role is recorded on the chain by a genesis grant or a key transaction, not in the files. With --enc, also an X25519 key pair for opening sealed readings: NAME.enc.key (PKCS#8, 0600) and NAME.enc.pub (SPKI), and the line gains \"enc\" (the raw X25519 public key, base64url); give NAME.enc.pub to ehx-keygen grant --enc."
        )

        @Option(help: "The role the key is meant for (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).")
        var role: String

        @Option(name: .shortAndLong, help: "Path prefix of the files to write: NAME.key and NAME.pub.")
        var output: String

        @Option(help: "Encrypt the private key with the passphrase in this file (or set EHX_PASSPHRASE).")
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
                    throw ToolError(.cantCreate, "\(path): already exists; keys are never overwritten")
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
            discussion: "Refuses to overwrite an existing file. Prints {\"bits\",\"chain\",\"genesis\"} (and hashes_per_second with --block-seconds): give the genesis hash to auditors (ehx-verify --genesis HASH). --block-seconds S measures the nonce search for a second and picks the bits whose expected work, 2^256 / (target + 1), is the hashes this machine does in S seconds. --retarget-interval N with --target-spacing S puts Bitcoin's retarget in the rules (see ehx(7), DIFFICULTY)."
        )

        @Option(help: "The authority's private key (its public key is the chain's authority).")
        var authority: String

        @Option(help: "Proof-of-work target in Bitcoin compact form, 8 hex digits (1f00ffff: about 65,000 hashes a block; 1e0fffff: about 1 M). Default 1f00ffff.")
        var bits: String?

        @Option(help: "Choose bits so one block takes about this many seconds on this machine (a short nonce-search bench on --threads threads); instead of --bits.")
        var blockSeconds: Double?

        @Option(help: "Threads the miner will use, for --block-seconds and for mining the genesis block (default: all online cores).")
        var threads: Int?

        @Option(help: "Retarget the difficulty every this many blocks (Bitcoin's rule); default: fixed difficulty.")
        var retargetInterval: Int64?

        @Option(help: "With --retarget-interval: the target seconds per block (default: --block-seconds).")
        var targetSpacing: Int64?

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

        func retargetRule() throws(ToolError) -> ChainRules.Retarget? {
            guard let interval = retargetInterval else {
                if targetSpacing != nil { throw ToolError(.usage, "--target-spacing needs --retarget-interval") }
                return nil
            }
            guard let spacing = targetSpacing ?? blockSeconds.map({ Int64(max(1, $0.rounded())) }) else {
                throw ToolError(.usage, "--retarget-interval needs --target-spacing (or --block-seconds)")
            }
            guard ChainRules.Retarget.intervals.contains(interval) else {
                throw ToolError(.usage, "--retarget-interval must be 2 to 1000000 blocks")
            }
            guard ChainRules.Retarget.spacings.contains(spacing) else {
                throw ToolError(.usage, "--target-spacing must be 1 to 604800 seconds")
            }
            return ChainRules.Retarget(interval: interval, spacing: spacing)
        }

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                if bits != nil && blockSeconds != nil {
                    throw ToolError(.usage, "give at most one of --bits and --block-seconds")
                }
                if let blockSeconds, !(blockSeconds > 0 && blockSeconds <= 31_536_000) {
                    throw ToolError(.usage, "--block-seconds must be a number of seconds above 0 and at most a year")
                }
                if let threads, threads < 1 { throw ToolError(.usage, "--threads must be at least 1") }
                let retarget = try retargetRule()
                let threadCount = threads ?? ParallelStage.onlineCores
                var rate: Double?
                let target: CompactTarget
                if let blockSeconds {
                    let bench = MiningBenchmark.run(seconds: 1, threads: threadCount)
                    rate = bench.hashesPerSecond
                    target = Difficulty.bits(hashesPerSecond: bench.hashesPerSecond, blockSeconds: blockSeconds)
                } else {
                    let text = bits ?? "1f00ffff"
                    guard let parsed = CompactTarget(bitsHex: text) else {
                        throw ToolError(.usage, "--bits \(text): not a compact target (8 lowercase hex digits such as 1f00ffff)")
                    }
                    target = parsed
                }
                let key = try KeyFile.readPrivateKey(path: authority, passphrase: try Passphrase.load(file: passphraseFile))
                var grants: [ChainRules.Grant] = []
                for spec in grant {
                    let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw ToolError(.usage, "--grant \(spec): expected ROLE=PUBFILE") }
                    let role = try roleArgument(parts[0])
                    grants.append(ChainRules.Grant(role: role, key: try KeyFile.readPublicKey(path: parts[1])))
                }
                let rules = ChainRules(chain: name, authorities: [key.publicKey], bits: target, retarget: retarget,
                                       maxBlockTxs: maxBlockTxs, maxBlockBytes: maxBlockBytes, grants: grants)
                do { _ = try ChainRules(parsing: rules.json) } catch {
                    throw ToolError(.usage, "invalid rules: \(error)")
                }
                let tx = try Transaction.sign(type: .genesis, body: rules.json, key: key)
                let merkle = MerkleTree.root(leaves: [tx.leaf])
                // Refuse an existing file before spending minutes on the nonce search.
                if fileExists(output) { throw ToolError(.cantCreate, "\(output): already exists; a chain is never overwritten") }
                var header = BlockHeader(version: ChainValidator.headerVersion, prev: .zero, merkle: merkle,
                                         time: UInt32(clamping: Timestamp.now().unixSeconds), bits: target.bits, nonce: 0)
                // All 2^32 nonces spent (a hard target): the next second, as a miner would.
                var mined: BlockHeader?
                for _ in 0..<100_000 {
                    mined = NonceSearch.search(header, target: target, from: 0, through: UInt32.max, threads: threadCount)
                    if mined != nil { break }
                    header.time &+= 1
                }
                guard let mined else { throw ToolError(.usage, "no nonce meets bits \(target.bitsHex); choose an easier target") }
                let block = Block(height: 0, header: mined, txs: [tx])
                try ChainFile.create(path: output, firstLine: block.canonicalLine)
                var line: [String: JSONValue] = ["chain": .string(output), "genesis": .string(block.claimedHash.displayHex),
                                                 "bits": .string(target.bitsHex)]
                if let rate { line["hashes_per_second"] = .number(rate.rounded()) }
                print(JSONValue.object(line).canonicalString)
            }
        }
    }
}

extension Keygen {
    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the body of a key transaction granting a role to a public key.",
            discussion: "Sign it as the authority: ehx-keygen grant ... | ehx-sign --type key --key authority.key | ehx-mine .... It takes effect from the block after the one that carries it. --enc attaches the key's X25519 reader key, so sealed readings are wrapped for it when the read policy lets its role read them."
        )

        @Option(help: "The role to grant (authority, gateway, device, clinician, physio, researcher, auditor, miner, manufacturer).")
        var role: String

        @Option(help: "The Ed25519 public key file (NAME.pub) of the key to grant it to.")
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

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the body of a key transaction revoking a role from a public key.",
            discussion: "Sign it with ehx-sign --type key --key authority.key. From the block after the one that carries it, the key's signatures for that role are refused (ehx-mine) and reported (ehx-verify, rule role), and new sealed readings are no longer wrapped for it. Readings sealed before stay readable with its X25519 key: see ehx(7), REVOCATION."
        )

        @Option(help: "The role to revoke.")
        var role: String

        @Option(help: "The Ed25519 public key file (NAME.pub) of the key.")
        var key: String

        func run() throws {
            try reportingFailures(Diagnostics(tool: "ehx-keygen")) {
                let change = KeyChange(action: .revoke, role: try roleArgument(role), key: try KeyFile.readPublicKey(path: key))
                print(change.json.canonicalString)
            }
        }
    }

    struct Pseudonym: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a pseudonym key file (32 random bytes, base64url, 0600) for ehx-sign --seal.",
            discussion: "Sealed readings carry HMAC-SHA256 pseudonyms of the patient and device ids under this key instead of the ids. The authority keeps it and gives it to its gateways; whoever holds it can test a guessed id against the chain, so it is as secret as the ids. The key is never printed."
        )

        @Option(name: .shortAndLong, help: "The file to create (never overwritten).")
        var output: String

        func run() throws {
            try reportingFailures(Diagnostics(tool: "ehx-keygen")) {
                try KeyFile.createPseudonymKey(path: output)
                print(JSONValue.object(["pseudonym_key": .string(output)]).canonicalString)
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
