import ArgumentParser
import EHXCommandLine
import EHXShared

@main
struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ehx-sign",
        abstract: "Sign records as ehx transactions (--key), or attach device MACs to readings (--psk).",
        discussion: """
            With --key, each input line is a transaction body; its schema is checked for \
            --type and it is wrapped as {"v":1,"type","ts","signer","body","sig"} with an \
            Ed25519 signature over "ehx-tx-v1\\n" and the canonical bytes. With --psk, each \
            line is a raw reading and gets "mac" = HMAC-SHA256 under its device's key, as a \
            device or simulator would send it. With --key and --spool DIR, each transaction \
            becomes one file in DIR/new (written in DIR/tmp, fsynced, renamed, directory \
            fsynced) for ehx-mine --spool. With --seal, reading and alert bodies are sealed \
            before signing: kind, ts, seq and pseudonyms of the patient and device stay in clear; \
            the body is encrypted for every reader key the read policy in force at --chain's tip \
            allows (the full view), and its research fields separately for research readers.
            """,
        version: EHXVersion.string
    )

    @Argument(help: "Input file ('-' or none: stdin).")
    var input: String = "-"

    @Option(help: "Sign with this Ed25519 private key (PEM).")
    var key: String?

    @Option(help: "Attach device MACs using this PSK file instead of signing.")
    var psk: String?

    @Option(help: "Transaction type of the bodies: reading, alert, key, policy, firmware, access.")
    var type: String = "reading"

    @Option(help: "Append refused lines here as JSON with file, line and reason.")
    var rejects: String?

    @Option(help: "With --key: write each transaction atomically into this maildir-style spool (DIR/tmp, then DIR/new) for ehx-mine --spool; stdout gets {\"file\",\"txid\"} per transaction.")
    var spool: String?

    @Option(help: "Passphrase file for an encrypted key (or set EHX_PASSPHRASE).")
    var passphraseFile: String?

    @Flag(help: "Seal reading and alert bodies for the readers the chain's read policy allows (needs --chain and --pseudonym-key).")
    var seal = false

    @Option(help: "With --seal: the chain whose tip's policy, roles and reader keys choose the recipients.")
    var chain: String?

    @Option(help: "With --seal: the pseudonym key file (0600; ehx-keygen pseudonym).")
    var pseudonymKey: String?

    @Option(help: "Signing threads (default: all online cores). Output order is input order whatever the count.")
    var threads: Int?

    @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
    var quiet = false

    func validate() throws {
        guard (key == nil) != (psk == nil) else {
            throw ValidationError("give exactly one of --key (sign transactions) or --psk (attach device MACs)")
        }
        if spool != nil && key == nil { throw ValidationError("--spool holds transactions: it needs --key") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard let t = TxType(rawValue: type), t != .genesis, t != .stamp else {
            throw ValidationError("--type \(type): must be one of reading, alert, key, policy, firmware, access")
        }
        if seal {
            guard key != nil else { throw ValidationError("--seal needs --key (sealed bodies are signed)") }
            guard chain != nil, pseudonymKey != nil else { throw ValidationError("--seal needs --chain and --pseudonym-key") }
        } else if chain != nil || pseudonymKey != nil {
            throw ValidationError("--chain and --pseudonym-key go with --seal")
        }
    }

    /// `{"type":T,"body":B}` (exactly these members, as ehx-ingest writes
    /// alerts into its output) signs B as type T; nil for a bare body.
    static func envelope(_ json: JSONValue) throws(RecordError) -> (TxType, JSONValue)? {
        guard let members = json.objectValue, members.count == 2, let name = members["type"], let body = members["body"] else { return nil }
        guard let text = name.stringValue, let type = TxType(rawValue: text), type != .genesis, type != .stamp else {
            throw RecordError(field: "type", "envelope type must be one of reading, alert, key, policy, firmware, access")
        }
        return (type, body)
    }

    func run() throws {
        let diagnostics = Diagnostics(tool: "ehx-sign", quiet: quiet)
        var status = Sysexits.ok
        try reportingFailures(diagnostics) {
            let output = try LineWriter(path: "-")
            let pipeline = try RecordPipeline(input: input, rejects: rejects, diagnostics: diagnostics)
            // Signing and MACing are stateless per line, so they run on every
            // thread; writing (and depositing) stays in input order.
            let threadCount = threads ?? ParallelStage.onlineCores
            if let psk {
                let keys = try PSKFile.load(path: psk)
                try pipeline.runBatched(threads: threadCount, idle: output.flush) { json, _ in
                    try DeviceMAC.attach(to: json, keys: keys).canonicalBytes()
                } finish: { line in
                    try output.write(line: line)
                }
            } else if let key, let type = TxType(rawValue: type) {
                let signingKey = try loadSigningKey(path: key, passphraseFile: passphraseFile)
                let spooler = try spool.map { dir throws(ToolError) in try Spool(path: dir, create: true) }
                let sealer = try sealerIfAsked(diagnostics)
                // One reusable signing context per worker (see Ed25519Signer).
                let signers = Ed25519Signers(key: signingKey, workers: threadCount)
                try pipeline.runBatched(threads: threadCount, idle: output.flush) { json, worker in
                    var (bodyType, body) = try Self.envelope(json) ?? (type, json)
                    if let sealer, bodyType == .reading || bodyType == .alert {
                        body = try sealer.seal(body, type: bodyType)
                    }
                    let signed = try Transaction.signWithLeaf(type: bodyType, body: body, key: signingKey,
                                                                  signer: signers.signer(worker: worker))
                    return (leaf: signed.leaf, txid: signed.transaction.txid)
                } finish: { tx in
                    if let spooler {
                        let name = try spooler.deposit(tx.leaf + [0x0a], txid: tx.txid)
                        try output.write(["file": .string("new/" + name), "txid": .string(tx.txid.hex)])
                    } else {
                        try output.write(line: tx.leaf)
                    }
                }
            }
            try output.close()
            let c = pipeline.counts
            diagnostics.note("\(pipeline.inputName): \(c.accepted) signed, \(c.rejected) rejected")
            status = pipeline.exitStatus
        }
        try exitUnlessOK(status)
    }
}

/// --seal: the recipients come from the chain's state at its tip (which must
/// verify), per kind; the pseudonym key turns ids into pseudonyms.
struct Sealer: Sendable {
    let state: ChainState
    let pseudonyms: PseudonymKey

    func seal(_ body: JSONValue, type: TxType) throws -> JSONValue {
        let kindName = body["kind"]?.stringValue ?? ""
        guard let kind = ReadingKind(rawValue: kindName) else {
            try TransactionBody.check(body, type: type)
            throw RecordError(field: "kind", "unknown kind \"\(kindName)\"")
        }
        return try Sealing.seal(body, type: type, recipients: state.sealRecipients(kind: kind), pseudonyms: pseudonyms)
    }
}

extension Sign {
    func sealerIfAsked(_ diagnostics: Diagnostics) throws -> Sealer? {
        guard seal, let chain, let pseudonymKey else { return nil }
        let pseudonyms = try KeyFile.readPseudonymKey(path: pseudonymKey)
        var local = try LocalChain.open(chain: chain, now: Timestamp.now().unixSeconds, threads: ParallelStage.onlineCores,
                                        diagnostics: diagnostics,
                                        progress: ProgressMeter(tool: "ehx-sign", doing: "building the chain state", quiet: diagnostics.quiet))
        local.saveIfPossible(diagnostics)
        let state = local.state
        guard state.readPolicy != nil else {
            throw ToolError(.dataErr, "\(chain): no read policy on the chain yet; sign one with ehx-sign --type policy --key AUTHORITY first")
        }
        let readers = Set(ReadingKind.allCases.flatMap { state.sealRecipients(kind: $0).map(\.kid) })
        diagnostics.note("sealing for \(readers.count) reader key(s) under the policy at height \(state.height)")
        return Sealer(state: state, pseudonyms: pseudonyms)
    }
}
