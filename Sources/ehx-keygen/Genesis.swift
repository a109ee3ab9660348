import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Keygen {
    struct Genesis: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write block 0 of a new chain: the authority's signed rules, mined at --bits.",
            discussion: "Refuses to overwrite an existing file. Prints {\"bits\",\"chain\",\"genesis\"} (and hashes_per_second with --block-seconds): give the genesis hash to auditors (ehx-verify --genesis HASH). --block-seconds S measures the nonce search for a second and picks the bits whose expected work, 2^256 / (target + 1), is the hashes this machine does in S seconds. --retarget-interval N with --target-spacing S puts Bitcoin's retarget in the rules (see ehx(7), DIFFICULTY). The chain gets rules 2 (ehx(7), THE RULES): a gateway or device key signs readings and alerts only for the devices bound to it, with --bind PUBFILE=ID[,ID...] or PUBFILE=@PSKFILE (--pseudonym-key: their pseudonyms instead, for sealed readings); --rules 1 writes the rules of earlier ehx."
        )

        @Option(help: "The authority's private key (its public key is the chain's authority).", completion: .file())
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

        @Option(help: "Bind devices to a granted gateway or device key: PUBFILE=ID[,ID...] or PUBFILE=@PSKFILE (repeatable).")
        var bind: [String] = []

        @Option(help: "With --bind: bind the devices' pseudonyms under this key instead of their ids (for sealed readings).")
        var pseudonymKey: String?

        @Option(help: "Rules version: 2 (device binding, alert refs, bound sealed bodies; the default) or 1 (earlier ehx).")
        var rules: Int64 = ChainRules.currentRulesVersion

        @Option(help: "Most transactions in one block (stamp included).")
        var maxBlockTxs: Int64 = ChainRules.defaultMaxBlockTxs

        @Option(help: "Most bytes in one block line.")
        var maxBlockBytes: Int64 = ChainRules.defaultMaxBlockBytes

        @Option(name: .shortAndLong, help: "The chain file to create.", completion: .file())
        var output: String

        @Option(help: "Passphrase file for an encrypted authority key (or set EHX_PASSPHRASE).", completion: .file())
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

        /// Attaches each --bind's devices to the key's gateway or device grant.
        func bindDevices(_ grants: [ChainRules.Grant]) throws -> [ChainRules.Grant] {
            var grants = grants
            for spec in bind {
                let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[1].isEmpty else { throw ToolError(.usage, "--bind \(spec): expected PUBFILE=ID[,ID...] or PUBFILE=@PSKFILE") }
                let key = try KeyFile.readPublicKey(path: parts[0])
                let list = parts[1].hasPrefix("@")
                    ? try DeviceArguments.resolve(ids: [], pskFile: String(parts[1].dropFirst()), pseudonymKey: pseudonymKey)
                    : try DeviceArguments.resolve(ids: parts[1].split(separator: ",").map(String.init), pskFile: nil, pseudonymKey: pseudonymKey)
                guard let i = grants.firstIndex(where: { $0.key == key && $0.role.maySign.contains(.reading) }) else {
                    throw ToolError(.usage, "--bind \(spec): \(parts[0]) has no gateway or device --grant")
                }
                let old = grants[i]
                grants[i] = ChainRules.Grant(role: old.role, key: old.key,
                                             devices: try DeviceArguments.resolve(ids: old.devices + list, pskFile: nil, pseudonymKey: nil))
            }
            return grants
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
                guard (ChainRules.legacyRulesVersion...ChainRules.currentRulesVersion).contains(self.rules) else {
                    throw ToolError(.usage, "--rules must be 1 or \(ChainRules.currentRulesVersion)")
                }
                if self.rules < 2 && !bind.isEmpty { throw ToolError(.usage, "--bind needs rules 2") }
                grants = try bindDevices(grants)
                for grant in grants where self.rules >= 2 && grant.role.maySign.contains(.reading) && grant.devices.isEmpty {
                    diagnostics.warning("\(grant.role.rawValue) key \(grant.key.id.hex.prefix(16)) is bound to no device: it can sign no reading or alert until a grant binds some (--bind)")
                }
                let rules = ChainRules(chain: name, authorities: [key.publicKey], bits: target, retarget: retarget,
                                       maxBlockTxs: maxBlockTxs, maxBlockBytes: maxBlockBytes, grants: grants,
                                       rulesVersion: self.rules)
                do { _ = try ChainRules(parsing: rules.json) } catch {
                    throw ToolError(.usage, "invalid rules: \(error)")
                }
                let tx = try Transaction.sign(type: .genesis, body: rules.json, key: key)
                // Refuse an existing file before spending minutes on the nonce search.
                if fileExists(output) { throw ToolError(.cantCreate, "\(output): already exists; a chain is never overwritten") }
                let block = try BlockMiner.genesis(tx, rules: rules, now: Timestamp.now().unixSeconds, threads: threadCount)
                try ChainFile.create(path: output, firstLine: block.canonicalLine)
                var line: [String: JSONValue] = ["chain": .string(output), "genesis": .string(block.claimedHash.displayHex),
                                                 "bits": .string(target.bitsHex)]
                if let rate { line["hashes_per_second"] = .number(rate.rounded()) }
                print(JSONValue.object(line).canonicalString)
            }
        }
    }
}
