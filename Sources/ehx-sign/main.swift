import ArgumentParser
import EHXCommandLine
import EHXShared
import Synchronization

@main
struct Sign: ParsableCommand, UsageRules {
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
            allows (the full view), and its research fields separately for research readers. \
            With --store DIR as well, the sealed part goes into the blob store DIR (named by its \
            SHA-256, fsynced before the transaction is written) and the transaction keeps the \
            clear part, the blob's hash and size and the reader key ids: an authority erasure \
            can then delete it (ehx(7), ERASURE AND THE STORE).
            """,
        version: EHXVersion.string
    )

    @Argument(help: "Input file ('-' or none: stdin).", completion: .file())
    var input: String = "-"

    @Option(help: "Sign with this Ed25519 private key (PEM).", completion: .file())
    var key: String?

    @Option(help: "Attach device MACs using this PSK file instead of signing.", completion: .file())
    var psk: String?

    @Option(help: "Transaction type of the bodies: reading, alert, key, policy, firmware, access, erasure.", completion: .list(["reading", "alert", "key", "policy", "firmware", "access", "erasure"]))
    var type: String = "reading"

    @Option(help: "Append refused lines here as JSON with code, file, line, reason and raw.", completion: .file())
    var rejects: String?

    @Option(help: "With --key: write each transaction atomically into this maildir-style spool (DIR/tmp, then DIR/new) for ehx-mine --spool; stdout gets {\"file\",\"txid\"} per transaction.", completion: .directory)
    var spool: String?

    @Option(help: "Passphrase file for an encrypted key (or set EHX_PASSPHRASE).", completion: .file())
    var passphraseFile: String?

    @Flag(help: "Seal reading and alert bodies for the readers the chain's read policy allows (needs --chain and --pseudonym-key).")
    var seal = false

    @Option(help: "With --seal: the chain whose tip's policy, roles and reader keys choose the recipients; followed while running, so a revocation mined into it applies to the next reading.", completion: .file())
    var chain: String?

    @Option(help: "With --seal (required): the genesis hash --chain must descend from, as given to ehx-verify.")
    var genesis: String?

    @Option(help: "With --seal: the pseudonym key file (0600; ehx-keygen pseudonym).", completion: .file())
    var pseudonymKey: String?

    @Option(help: "With --seal: put each sealed part into this content-addressed blob store (made if missing) and sign only the clear part and the blob's hash, so an erasure can later make it unreadable.", completion: .directory)
    var store: String?

    @Option(help: "Signing threads (default: all online cores). Output order is input order whatever the count.")
    var threads: Int?

    @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
    var quiet = false

    func checkUsage() throws {
        guard (key == nil) != (psk == nil) else {
            throw ValidationError("give exactly one of --key (sign transactions) or --psk (attach device MACs)")
        }
        if spool != nil && key == nil { throw ValidationError("--spool holds transactions: it needs --key") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard let t = TxType(rawValue: type), t != .genesis, t != .stamp else {
            throw ValidationError("--type \(type): must be one of reading, alert, key, policy, firmware, access, erasure")
        }
        if seal {
            guard key != nil else { throw ValidationError("--seal needs --key (sealed bodies are signed)") }
            guard chain != nil, pseudonymKey != nil else { throw ValidationError("--seal needs --chain and --pseudonym-key") }
            // Recipients come from the chain: an unpinned one could be anyone's.
            guard let genesis else { throw ValidationError("--seal needs --genesis HASH, the chain's pinned genesis (ehx-query --chain CHAIN block 0 --hash, checked as for ehx-verify)") }
            guard SHA256Digest(displayHex: genesis) != nil else { throw ValidationError("--genesis \(genesis): not a block hash (64 lowercase hex digits)") }
        } else if chain != nil || pseudonymKey != nil || genesis != nil || store != nil {
            throw ValidationError("--chain, --genesis, --pseudonym-key and --store go with --seal")
        }
    }

    /// `{"type":T,"body":B}` (exactly these members, as ehx-ingest writes
    /// alerts into its output) signs B as type T; nil for a bare body.
    static func envelope(_ json: JSONValue) throws(RecordError) -> (TxType, JSONValue)? {
        guard let members = json.objectValue, members.count == 2, let name = members["type"], let body = members["body"] else { return nil }
        guard let text = name.stringValue, let type = TxType(rawValue: text), type != .genesis, type != .stamp else {
            throw RecordError(field: "type", "envelope type must be one of reading, alert, key, policy, firmware, access, erasure")
        }
        return (type, body)
    }

    @OptionGroup var ownership: OwnershipOptions

    func run() throws {
        try checkUsage()
        ownership.apply()
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
                let following = try sealerIfAsked(diagnostics)
                let sealer = following.map { SealerBox(Sealer(recipients: $0.chain.recipients, pseudonyms: $0.pseudonyms)) }
                // One reusable signing context per worker (see Ed25519Signer).
                let signers = PerWorker(workers: threadCount) { Ed25519Signer(key: signingKey) }
                let blobs = try store.map { (dir: String) throws(ToolError) in try BlobStore(path: dir, create: true) }
                // Before each batch: blocks mined into --chain since the last one.
                let fresh = { () throws(ToolError) in
                    guard let following, let sealer else { return }
                    let notes = try following.chain.refresh(now: Timestamp.now().unixSeconds)
                    guard !notes.isEmpty else { return }
                    for note in notes { diagnostics.note("\(following.chain.path): \(note)") }
                    sealer.replace(Sealer(recipients: following.chain.recipients, pseudonyms: following.pseudonyms))
                }
                // A plain reading line (the usual input) is signed straight
                // from jansson's tree into the worker's output (into its own
                // line, for a spool); everything else takes the general path.
                var lane: RecordPipeline.Lane?
                var quick: (@Sendable (UnsafeRawBufferPointer, Int) -> SignedLine?)?
                if sealer == nil && type == .reading {
                    let readingSigners = PerWorker(workers: threadCount) { ReadingSigner(key: signingKey) }
                    if spooler == nil {
                        lane = { line, worker, out in
                            readingSigners[worker]?.append(line, ts: Timestamp.now(), to: &out) ?? false
                        }
                    } else {
                        quick = { line, worker in readingSigners[worker]?.signedLine(line, ts: Timestamp.now()) }
                    }
                }
                // Batches of 16,384 lines: each batch's end leaves a core idle
                // for about a millisecond (the last run, the hand-off); with
                // 4,096 that was 1-3% of a run (issue 19).
                try pipeline.runBatched(threads: threadCount, batchLines: 16384, idle: output.flush, fresh: fresh,
                                        lane: lane, emit: output.write(lines:), quick: quick) { json, worker in
                    var (bodyType, body) = try Self.envelope(json) ?? (type, json)
                    if let sealer, bodyType == .reading || bodyType == .alert {
                        body = try sealer.current.seal(body, type: bodyType, signer: signingKey.publicKey)
                        if let blobs {
                            // The blob is durable before any transaction names it.
                            let (stored, blob) = try StoredBody.split(body)
                            if case .erased = try blobs.put(blob).result {
                                throw ToolError(.dataErr, "\(blobs.path): the blob was erased here before; not signing")
                            }
                            body = stored
                        }
                    }
                    let signed = try Transaction.signWithLeaf(type: bodyType, body: body, key: signingKey,
                                                                  signer: signers[worker])
                    return SignedLine(signed.transaction, leaf: signed.leaf)
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

/// --seal: the recipients per kind at the tip of the pinned, followed
/// chain (`SealingChain`); the pseudonym key turns ids into pseudonyms.
struct Sealer: Sendable {
    let recipients: [ReadingKind: [SealRecipient]]
    let pseudonyms: PseudonymKey

    func seal(_ body: JSONValue, type: TxType, signer: Ed25519.PublicKey) throws -> JSONValue {
        let kindName = body["kind"]?.stringValue ?? ""
        guard let kind = ReadingKind(rawValue: kindName) else {
            try TransactionBody.check(body, type: type)
            throw RecordError(field: "kind", "unknown kind \(EchoedText.quoted(kindName))")
        }
        return try Sealing.seal(body, type: type, signer: signer, recipients: recipients[kind] ?? [], pseudonyms: pseudonyms)
    }
}

/// The sealer the workers read; replaced by `fresh` between batches, while
/// no worker runs, and locked anyway so that needs no proof.
final class SealerBox: Sendable {
    private let sealer: Mutex<Sealer>

    init(_ sealer: Sealer) { self.sealer = Mutex(sealer) }

    var current: Sealer { sealer.withLock { $0 } }

    func replace(_ new: Sealer) { sealer.withLock { $0 = new } }
}

extension Sign {
    func sealerIfAsked(_ diagnostics: Diagnostics) throws -> (chain: SealingChain, pseudonyms: PseudonymKey)? {
        guard seal, let chain, let pseudonymKey, let genesis, let pin = SHA256Digest(displayHex: genesis) else { return nil }
        let pseudonyms = try KeyFile.readPseudonymKey(path: pseudonymKey)
        let followed = try SealingChain(path: chain, genesis: pin, now: Timestamp.now().unixSeconds,
                                        threads: threads ?? ParallelStage.onlineCores, diagnostics: diagnostics,
                                        progress: ProgressMeter(tool: "ehx-sign", doing: "building the state", quiet: quiet))
        guard followed.state.readPolicy != nil else {
            throw ToolError(.dataErr, "\(chain): no read policy on the chain yet; sign one with ehx-sign --type policy --key AUTHORITY first")
        }
        let readers = Set(followed.recipients.values.flatMap { $0.map(\.kid) })
        diagnostics.note("sealing for \(Plural.count(readers.count, "reader key")) under the policy at height \(followed.state.height); following \(chain)")
        return (followed, pseudonyms)
    }
}
