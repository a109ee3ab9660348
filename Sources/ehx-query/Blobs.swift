import ArgumentParser
import EHXCommandLine
import EHXShared

extension Query {
    struct Blobs: ParsableCommand, UsageRules {
        static let configuration = CommandConfiguration(
            abstract: "Manage a content-addressed blob store: add, replicate, follow the chain's erasures.",
            discussion: """
                The store (--store DIR) holds blobs named by their SHA-256 (DIR/sha256/ab/cdef…), \
                written atomically and never rewritten, verified on every read; an erased blob \
                leaves a tombstone (DIR/erased/ab/cdef…) and is never taken in again. Exactly one \
                action: --add FILE… stores files (firmware images) and prints {"sha256","size","file"}; \
                --missing prints the hashes the chain names (stored bodies, firmware releases) that \
                the store lacks and has not erased, or of the hashes in --wanted FILE; --export writes \
                the named blobs (arguments, else hashes read from stdin; --all: every blob) as a \
                stream of {"sha256","size"} lines each followed by the bytes and a newline; --import \
                reads such a stream (file or stdin), checks every blob's hash and stores it; --sync \
                applies the chain's erasures (every store that follows the chain deletes the blobs \
                a valid authority erasure names); --erasure-body prints the body of an erasure \
                transaction for every stored body of --patient, for ehx-sign --type erasure. \
                Replication: ehx-query --store B blobs --missing | ssh peer ehx-query --store A \
                blobs --export | ehx-query --store B blobs --import.
                """
        )

        @ParentCommand var query: Query

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Store these files; prints each one's hash.", valueName: "file"), completion: .file())
        var add: [String] = []

        @Flag(help: "Print the hashes the chain (or --wanted) names that the store neither holds nor erased.")
        var missing = false

        @Option(help: ArgumentHelp("With --missing: the wanted hashes, one per line, from this file ('-': stdin) instead of the chain.", valueName: "file"), completion: .file())
        var wanted: String?

        @Flag(help: "Write the blobs named as arguments (else read from stdin, one hash a line) as a blob stream on stdout.")
        var export = false

        @Flag(help: "With --export: every blob in the store.")
        var all = false

        @Flag(name: .customLong("import"), help: "Read a blob stream (the argument, or stdin) and store every blob whose hash checks.")
        var importing = false

        @Flag(help: "Apply the chain's erasures to the store (delete what valid erasures name; finish an interrupted run).")
        var sync = false

        @Flag(help: "Print an erasure body for every stored body of --patient (with --request and --reason).")
        var erasureBody = false

        @Option(help: "With --erasure-body: the patient's pseudonym, or its id with --pseudonym-key.")
        var patient: String?

        @Option(help: "With --erasure-body: the pseudonym key, to turn the --patient id into its pseudonym.", completion: .file())
        var pseudonymKey: String?

        @Option(help: "With --erasure-body: whose request this answers (a reference the authority keeps).")
        var request: String?

        @Option(help: "With --erasure-body: why (e.g. \"GDPR Art. 17\").")
        var reason: String?

        @Argument(help: "With --export: blob hashes; with --import: the stream file ('-' or none: stdin).")
        var items: [String] = []

        @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
        var quiet = false

        func checkUsage() throws {
            let actions = [!add.isEmpty, missing, export, importing, sync, erasureBody].filter { $0 }.count
            guard actions == 1 else { throw ValidationError("give exactly one of --add, --missing, --export, --import, --sync, --erasure-body") }
            if wanted != nil && !missing { throw ValidationError("--wanted goes with --missing") }
            if all && !export { throw ValidationError("--all goes with --export") }
            if all && !items.isEmpty { throw ValidationError("--all or hashes, not both") }
            if importing && items.count > 1 { throw ValidationError("--import reads one stream") }
            if !items.isEmpty && !(export || importing) { throw ValidationError("arguments go with --export (hashes) or --import (a stream file)") }
            if erasureBody {
                guard patient != nil, request != nil, reason != nil else { throw ValidationError("--erasure-body needs --patient, --request and --reason") }
            } else if patient != nil || request != nil || reason != nil || pseudonymKey != nil {
                throw ValidationError("--patient, --pseudonym-key, --request and --reason go with --erasure-body")
            }
            if query.store == nil && !erasureBody { throw ValidationError("blobs needs ehx-query --store DIR") }
        }

        @OptionGroup var ownership: OwnershipOptions

        func run() throws {
            try checkUsage()
            ownership.apply()
            let diagnostics = Diagnostics(tool: "ehx-query", quiet: quiet)
            try reportingFailures(diagnostics) {
                let output = try LineWriter(path: "-")
                if erasureBody {
                    try printErasureBody(output: output)
                } else if let dir = query.store {
                    // Every action on a store honours the chain's erasures first, when there is a chain.
                    let store = sync || missing && wanted == nil ? try query.followedStore(diagnostics: diagnostics, create: true)
                        : try BlobStore(path: dir, create: !add.isEmpty || importing)
                    guard let store else { return }
                    if !add.isEmpty { try addFiles(store, output: output, diagnostics: diagnostics) }
                    else if missing { try printMissing(store, output: output, diagnostics: diagnostics) }
                    else if export { try exportBlobs(store, output: output, diagnostics: diagnostics) }
                    else if importing { try importBlobs(store, diagnostics: diagnostics) }
                    else if sync {
                        let erased = try store.erased().count
                        diagnostics.note("\(dir): in line with \(query.chain): \(Plural.count(erased, "blob")) erased, \(Plural.count(try store.all().count, "blob")) held")
                    }
                }
                try output.close()
            }
        }

        private func addFiles(_ store: BlobStore, output: LineWriter, diagnostics: Diagnostics) throws(ToolError) {
            for file in add {
                let (digest, result, size) = try store.put(file: file)
                if case .erased(let txid) = result {
                    throw ToolError(.dataErr, "\(file): blob \(digest.hex) was erased from this store by \(txid.hex); not added")
                }
                try output.write(["sha256": .string(digest.hex), "size": .number(Double(size)), "file": .string(file)])
            }
        }

        private func printMissing(_ store: BlobStore, output: LineWriter, diagnostics: Diagnostics) throws(ToolError) {
            var hashes: [SHA256Digest] = []
            if let wanted {
                let reader = try LineReader(path: wanted)
                while let line = try reader.next() {
                    let text = String(decoding: line.bytes.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d }, as: UTF8.self)
                    if text.isEmpty { continue }
                    guard let digest = SHA256Digest(hex: text) else { throw ToolError(.dataErr, "\(reader.name):\(line.number): not a SHA-256 (64 lowercase hex digits)") }
                    hashes.append(digest)
                }
            } else {
                hashes = try BlobReferences.scan(chain: query.chain).all
            }
            var count = 0
            for digest in hashes where !store.hasFile(digest) {
                guard try store.erasure(of: digest) == nil else { continue }
                try output.write(text: digest.hex)
                count += 1
            }
            diagnostics.note("\(store.path): \(Plural.count(count, "blob")) missing of \(hashes.count) wanted")
        }

        private func exportBlobs(_ store: BlobStore, output: LineWriter, diagnostics: Diagnostics) throws(ToolError) {
            var hashes: [SHA256Digest] = []
            if all {
                hashes = try store.all()
            } else if !items.isEmpty {
                for item in items {
                    guard let digest = SHA256Digest(hex: item) else { throw ToolError(.usage, "\(item): not a SHA-256 (64 lowercase hex digits)") }
                    hashes.append(digest)
                }
            } else {
                let reader = try LineReader(path: "-")
                while let line = try reader.next() {
                    let text = String(decoding: line.bytes.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d }, as: UTF8.self)
                    if text.isEmpty { continue }
                    guard let digest = SHA256Digest(hex: text) else { throw ToolError(.dataErr, "stdin:\(line.number): not a SHA-256 (64 lowercase hex digits)") }
                    hashes.append(digest)
                }
            }
            var sent = 0, absent = 0, erased = 0
            for digest in hashes {
                switch try store.get(digest) {
                case .present(let bytes):
                    try BlobStream.write(digest, bytes, to: output)
                    sent += 1
                case .erased: erased += 1
                case .missing: absent += 1
                }
            }
            diagnostics.note("\(store.path): \(Plural.count(sent, "blob")) exported" + (absent + erased > 0 ? ", \(absent) not here, \(erased) erased here (not sent)" : ""))
        }

        private func importBlobs(_ store: BlobStore, diagnostics: Diagnostics) throws(ToolError) {
            let reader = try BlobStream.Reader(path: items.first ?? "-")
            var added = 0, kept = 0, refused = 0
            while let (_, bytes) = try reader.next() {
                switch try store.put(bytes).result {
                case .added, .repaired: added += 1
                case .kept: kept += 1
                case .erased: refused += 1
                }
            }
            diagnostics.note("\(store.path): \(added) added, \(kept) already held" + (refused > 0 ? ", \(refused) refused (erased here)" : ""))
        }

        private func printErasureBody(output: LineWriter) throws(ToolError) {
            guard let patient, let request, let reason else { return }
            var pseudonym = patient
            if let pseudonymKey {
                do { pseudonym = try KeyFile.readPseudonymKey(path: pseudonymKey).patient(patient) } catch {
                    throw ToolError(.noInput, "\(pseudonymKey): \(error)")
                }
            }
            let refs = try BlobReferences.scan(chain: query.chain)
            var seen: Set<SHA256Digest> = []
            let blobs = refs.stored.filter { $0.patient == pseudonym && seen.insert($0.blob).inserted }.map(\.blob)
            guard !blobs.isEmpty else {
                throw ToolError(.noInput, "\(query.chain): no stored body of patient \(pseudonymKey == nil ? pseudonym : "(id given)") (is --patient the pseudonym, or give --pseudonym-key?)")
            }
            let record = ErasureRecord(blobs: blobs, request: request, reason: reason, patient: pseudonym)
            do { _ = try ErasureRecord(parsing: record.json) } catch { throw ToolError(.usage, "erasure body: \(error)") }
            try output.write(record.json)
        }
    }
}

