import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Txs: ParsableCommand, UsageRules {
        static let configuration = CommandConfiguration(
            abstract: "Print transactions (JSON, one per line) that match every filter given.",
            discussion: """
                Each jsonl line is {"height":H,"txid":"…", then the transaction's canonical \
                bytes as on the chain after their "{" (--raw: those bytes alone). \
                Without --key each transaction is printed as it is on the chain. With --key \
                (and its X25519 key, --enc-key), each is printed as {"txid","height","type", \
                "status",…}: status "plain" with its body; "opened" with the view ("full" or \
                "research") and the opened body; "not a recipient" with only the clear part; \
                "tampered" with an "error" and never a body. With --audit-spool, every \
                opening is first recorded as an access transaction signed by --key in the \
                spool (one file per transaction) and only then printed. --break-glass opens \
                through the policy's emergency key what --key cannot, always recorded with \
                reason "emergency".
                """
        )

        @ParentCommand var query: Query

        @Option(help: "Only this type: genesis, key, policy, reading, alert, access, firmware, stamp, erasure.", completion: .list(TxType.allCases.map(\.rawValue)))
        var type: String?

        @Option(help: "Only records from this device (a pseudonym for sealed bodies).")
        var device: String?

        @Option(help: "Only records about this patient (a pseudonym for sealed bodies).")
        var patient: String?

        @Option(help: "Only records at or after this time (RFC 3339 or Unix seconds).")
        var since: String?

        @Option(help: "Only records before this time (RFC 3339 or Unix seconds).")
        var until: String?

        @Option(help: "Open sealed bodies as this reader: its Ed25519 key (signs access records; its id finds the entries).", completion: .file())
        var key: String?

        @Option(help: "The reader's X25519 key (default: KEY with .key replaced by .enc.key).", completion: .file())
        var encKey: String?

        @Flag(help: "Exit 77 when nothing was opened.")
        var requireOpen = false

        @Option(help: "Write an access transaction for every opening into this spool directory (DIR/tmp, DIR/new) before printing.", completion: .directory)
        var auditSpool: String?

        @Option(help: "Why the data is read; goes into the access records (required with --audit-spool).")
        var reason: String?

        @Option(help: "Break-glass: the emergency X25519 key named by the policy; opens what --key cannot, for one --patient within --since..--until (at most 72 h), recorded with reason \"emergency\" before anything is printed. --key must hold a role that signs access records and reads full bodies.", completion: .file())
        var breakGlass: String?

        @Option(help: "Passphrase file for encrypted keys (or set EHX_PASSPHRASE).", completion: .file())
        var passphraseFile: String?

        @Flag(help: "Only alert records (the same as --type alert).")
        var alerts = false

        @Option(help: "Output: jsonl, csv or table (default: table on a terminal, else jsonl).", completion: .list(ListingFormat.allCases.map(\.rawValue)))
        var format: String?

        @Flag(help: "jsonl: print each transaction exactly as on the chain, without \"height\" and \"txid\".")
        var raw = false

        @Flag(help: "Keep printing matching transactions as blocks are appended, until SIGINT or SIGTERM.")
        var follow = false

        @OptionGroup var source: IndexOptions

        @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
        var quiet = false

        func checkUsage() throws {
            if key == nil {
                for (given, name) in [(encKey != nil, "--enc-key"), (requireOpen, "--require-open"), (auditSpool != nil, "--audit-spool"),
                                      (breakGlass != nil, "--break-glass")] where given {
                    throw ValidationError("\(name) needs --key")
                }
            }
            if follow || format != nil {
                if key != nil { throw ValidationError("--key prints one JSON line per transaction; it does not combine with --follow or --format") }
            }
            if breakGlass != nil, let index = source.db, IndexLocation(index).isPostgres {
                throw ValidationError("--break-glass judges the key's role on the chain file itself; it does not combine with --db postgres://")
            }
            if auditSpool != nil, reason == nil { throw ValidationError("--audit-spool needs --reason") }
            if breakGlass != nil, auditSpool == nil { throw ValidationError("--break-glass needs --audit-spool: an emergency opening is always recorded") }
            if breakGlass != nil, patient == nil || since == nil {
                throw ValidationError("--break-glass needs --patient (the id, or the pseudonym of sealed records) and --since: an emergency opening covers one patient and at most 72 hours")
            }
            if let reason {
                guard !reason.isEmpty, reason.utf8.count <= 256, !reason.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                    throw ValidationError("--reason must be 1 to 256 bytes without control characters")
                }
            }
        }

        @OptionGroup var ownership: OwnershipOptions

        func run() throws {
            try checkUsage()
            ownership.apply()
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            var status = Sysexits.ok
            try reportingFailures(diagnostics) {
                if alerts, let type, type != "alert" { throw ToolError(.usage, "--alerts contradicts --type \(type)") }
                let filter = try TxFilter(type: alerts ? "alert" : type, device: device, patient: patient, since: since, until: until)
                let output = try LineWriter(path: "-")
                guard let key else {
                    let printer = TxPrinter(format: try ListingFormat.resolve(format), output: output, raw: raw)
                    if follow {
                        ChainFollower.installStopHandlers()
                        try ChainFollower(path: query.chain).run({ (block) throws(ToolError) in
                            for tx in block.txs where filter.matches(tx) { try printer.write(tx, height: block.height) }
                        }, idle: { () throws(ToolError) in try printer.flush() })
                    } else {
                        try TxSource.forEachMatch(chain: query.chain, filter: filter, index: source.db, useIndex: !source.noIndex,
                                                  diagnostics: diagnostics) { (found: IndexedTransaction) throws(ToolError) in
                            try printer.write(found)
                        }
                    }
                    try output.close()
                    return
                }
                if breakGlass != nil, let since = filter.since { try BreakGlass.checkWindow(since: since, until: filter.until) }
                var reader = try openReader(key: key)
                reader.store = try query.followedStore(diagnostics: diagnostics)
                // The reader's key grants come along, in chain order: they
                // say which X25519 key the chain attached to it so far.
                try TxSource.forEachMatch(chain: query.chain, filter: filter, index: source.db, useIndex: !source.noIndex, alongside: .key,
                                          diagnostics: diagnostics) { (found: IndexedTransaction) throws(ToolError) in
                    let tx = try found.transaction()
                    reader.note(tx)
                    if filter.matches(tx) { try reader.show(tx, height: found.height, output: output) }
                }
                try reader.flush(output: output)
                try output.close()
                let c = reader.counts
                diagnostics.note("\(c.opened) opened, \(c.notRecipient) not for this key, \(c.tampered) tampered, \(c.plain) plain"
                                 + (c.erased + c.missing > 0 ? ", \(c.erased) erased, \(c.missing) not in the store" : "")
                                 + (c.recorded > 0 ? "; \(Plural.count(c.recorded, "access record")) in \(auditSpool ?? "")" : ""))
                if c.tampered > 0 {
                    diagnostics.error("\(Plural.count(c.tampered, "sealed transaction")) failed authentication: altered after sealing; not shown")
                    status = .checkedBad
                } else if requireOpen && c.opened == 0 {
                    diagnostics.error("\(key): opened nothing: this key is not a recipient of any selected transaction")
                    status = .noPerm
                }
            }
            try exitUnlessOK(status)
        }

        private func openReader(key: String) throws -> SealedReader {
            let keys = try ReaderKeys(key: key, encKey: encKey, passphraseFile: passphraseFile)
            let (signing, enc, passphrase) = (keys.signing, keys.enc, keys.passphrase)
            if enc == nil && breakGlass == nil {
                throw ToolError(.noInput, "\(key): \(ReaderKeys.missingEncKey)")
            }
            if breakGlass != nil {
                // Before the emergency key is even read: a key whose record the chain would refuse opens nothing.
                let state = try LocalChain.open(chain: query.chain, now: Timestamp.now().unixSeconds, threads: ParallelStage.onlineCores,
                                                diagnostics: Diagnostics(tool: "ehx-query")).state
                try BreakGlass.authorize(signing.publicKey, keyName: key, in: state)
            }
            let emergency = try breakGlass.map { (path: String) throws(KeyFileError) in try KeyFile.readEncryptionKey(path: path, passphrase: passphrase) }
            let spool = try auditSpool.map { (dir: String) throws(ToolError) in try Spool(path: dir, create: true) }
            return SealedReader(signing: signing, enc: enc, emergency: emergency, spool: spool, reason: reason ?? "")
        }
    }
}

/// Opens what one reader may open and keeps the audit trail: openings are
/// held back in batches, and each batch's access records reach the spool
/// (fsynced) before any of its plaintext is printed.
struct SealedReader {
    struct Counts { var opened = 0, notRecipient = 0, tampered = 0, plain = 0, recorded = 0, erased = 0, missing = 0 }

    let signing: Ed25519.PrivateKey
    let enc: X25519.PrivateKey?
    let emergency: X25519.PrivateKey?
    let spool: Spool?
    let reason: String
    /// Where stored bodies' sealed parts are (ehx-query --store).
    var store: BlobStore?
    private(set) var counts = Counts()
    private var pending: [JSONValue] = []
    private var openedOwn: [SHA256Digest] = []
    private var openedEmergency: [SHA256Digest] = []
    /// The X25519 key the chain's key transactions last attached to our key (not judged).
    private var granted: X25519.PublicKey?

    init(signing: Ed25519.PrivateKey, enc: X25519.PrivateKey?, emergency: X25519.PrivateKey?, spool: Spool?, reason: String) {
        self.signing = signing
        self.enc = enc
        self.emergency = emergency
        self.spool = spool
        self.reason = reason
    }

    var kid: String { signing.publicKey.id.hex }

    mutating func note(_ tx: Transaction) {
        if tx.type == .key, let change = try? KeyChange(parsing: tx.body), change.key == signing.publicKey,
           change.action == .grant, let raw = change.encryptionKey {
            granted = try? X25519.PublicKey(rawRepresentation: raw)
        }
    }

    mutating func show(_ tx: Transaction, height: Int64, output: LineWriter) throws(ToolError) {
        var line: [String: JSONValue] = ["txid": .string(tx.txid.hex), "height": .number(Double(height)), "type": .string(tx.type.rawValue)]
        let stored = tx.hasStoredBody ? try? StoredBody(parsing: tx.body) : nil
        let inline = stored == nil && tx.hasSealedBody ? try? SealedBody(parsing: tx.body) : nil
        guard tx.type == .reading || tx.type == .alert, stored != nil || inline != nil else {
            counts.plain += 1
            line["status"] = "plain"
            line["body"] = tx.body
            return try emit(.object(line), output: output)
        }
        guard tx.hasValidSignature else {
            return try tampered(&line, "the signature does not verify", output: output)
        }
        var found = inline
        if let stored {
            // Off chain: an erased or absent blob shows the clear part only, never anything sealed.
            line["blob"] = .string(stored.blob.hex)
            guard let store else {
                counts.missing += 1
                return try unopened(&line, "missing", clear: stored.clear, "the sealed part is in a blob store: give ehx-query --store DIR", output: output)
            }
            switch stored.open(in: store) {
            case .sealed(let body): found = body
            case .erased(let erasure):
                counts.erased += 1
                line["erasure"] = .string(erasure.hex)
                return try unopened(&line, "erased", clear: stored.clear, "erased by transaction \(erasure.hex)", output: output)
            case .missing:
                counts.missing += 1
                return try unopened(&line, "missing", clear: stored.clear, "blob \(stored.blob.hex) is not in \(store.path)", output: output)
            case .bad(let why):
                return try tampered(&line, why, output: output)
            }
        }
        guard let sealed = found else { return }
        var result = Sealing.Opening.notRecipient
        if let enc {
            result = Sealing.open(sealed, kid: kid, key: enc, type: tx.type, signer: tx.signer)
            if case .tampered = result, let granted, granted != enc.publicKey {
                throw ToolError(.noPerm, "the X25519 key given is not the one granted on the chain to key \(kid.prefix(16)); use its NAME.enc.key")
            }
        }
        var viaEmergency = false
        if case .notRecipient = result, let emergency {
            result = Sealing.open(sealed, kid: emergency.publicKey.id.hex, key: emergency, type: tx.type, signer: tx.signer)
            viaEmergency = true
        }
        switch result {
        case let .opened(view, body):
            counts.opened += 1
            line["status"] = "opened"
            line["view"] = .string(view.rawValue)
            line["body"] = body
            if viaEmergency { line["via"] = "emergency"; openedEmergency.append(tx.txid) } else { openedOwn.append(tx.txid) }
            try emit(.object(line), output: output)
        case .notRecipient:
            counts.notRecipient += 1
            line["status"] = "not a recipient"
            line["view"] = "metadata"
            line["body"] = .object(sealed.clear)
            try emit(.object(line), output: output)
        case let .tampered(reason):
            try tampered(&line, reason, output: output)
        }
    }

    /// A stored body whose sealed part cannot be had: the clear part only.
    private mutating func unopened(_ line: inout [String: JSONValue], _ status: String, clear: [String: JSONValue], _ why: String,
                                   output: LineWriter) throws(ToolError) {
        line["status"] = .string(status)
        line["view"] = "metadata"
        line["body"] = .object(clear)
        line["error"] = .string(why)
        try emit(.object(line), output: output)
    }

    private mutating func tampered(_ line: inout [String: JSONValue], _ reason: String, output: LineWriter) throws(ToolError) {
        counts.tampered += 1
        line["status"] = "tampered"
        line["error"] = .string(reason)
        try emit(.object(line), output: output)
    }

    private mutating func emit(_ line: JSONValue, output: LineWriter) throws(ToolError) {
        guard spool != nil else { return try output.write(line) }
        pending.append(line)
        if openedOwn.count + openedEmergency.count >= AccessRecord.maxTxids || pending.count >= 10_000 { try flush(output: output) }
    }

    /// Records the batch's openings, then prints it.
    mutating func flush(output: LineWriter) throws(ToolError) {
        if let spool {
            let records: [(AccessRecord, [SHA256Digest])] = [
                (AccessRecord(txids: openedOwn, reason: reason), openedOwn),
                (AccessRecord(txids: openedEmergency, reason: AccessRecord.emergencyReason, note: reason), openedEmergency),
            ]
            for (record, txids) in records where !txids.isEmpty {
                let tx: Transaction
                do { tx = try Transaction.sign(type: .access, body: record.json, key: signing) } catch {
                    throw ToolError(.dataErr, "cannot sign the access record: \(error)")
                }
                _ = try spool.deposit(tx.leaf + [0x0a], txid: tx.txid)
                counts.recorded += 1
            }
        }
        openedOwn.removeAll()
        openedEmergency.removeAll()
        for line in pending { try output.write(line) }
        pending.removeAll()
    }
}
