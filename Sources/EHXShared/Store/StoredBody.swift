/// A sealed `reading` or `alert` body whose sealed part lives in a blob
/// store, not on the chain (man ehx.7, ERASURE AND THE STORE):
///
///     {"kind":"heart_rate","ts":"…","seq":42,"patient":"<64 hex>","device":"<64 hex>",
///      "stored":{"sha256":"<64 hex>","size":1234,"full":["<kid>",…],"research":["<kid>",…]}}
///
/// The blob is the canonical JSON of what `sealed` would have held inline
/// (suite, aad, each view's ciphertext and wrapped keys), so its hash is a
/// hiding commitment: ciphertext under a fresh key says nothing about the
/// plaintext. The signed transaction keeps the clear part (the blob's
/// associated data, unchanged) and the reader key ids per view, so the
/// rules-2 sealed-reader check needs no store; with a store the blob must
/// bind the transaction and wrap for exactly those readers.
public struct StoredBody: Sendable {
    public let kind: ReadingKind
    public let patient: String
    public let device: String
    public let blob: SHA256Digest
    public let size: Int64
    /// The reader key ids each view's blob is wrapped for, as committed.
    public let readers: [ReadView: [String]]
    /// The clear members exactly as they are in the body.
    public let clear: [String: JSONValue]

    public static func isStored(_ body: JSONValue) -> Bool { body["stored"] != nil }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: SealedBody.clearFields.union(["stored"]))
        kind = try ReadingKind.parse(try f.string("kind", maxLength: 64))
        _ = try f.timestamp("ts")
        _ = try f.integer("seq", in: 0...SensorReading.maxSeq)
        patient = try SealedBody.pseudonym(f, "patient")
        device = try SealedBody.pseudonym(f, "device")
        do throws(RecordError) {
            let s = try RecordFields(try f.object("stored"), allowed: ["sha256", "size", "full", "research"])
            guard let digest = SHA256Digest(hex: try s.string("sha256", maxLength: 64)) else {
                throw RecordError(field: "sha256", "must be 64 lowercase hex digits")
            }
            blob = digest
            size = try s.integer("size", in: 1...Int64(BlobStore.maxBlobBytes))
            var readers: [ReadView: [String]] = [:]
            for view in [ReadView.full, .research] where s.has(view.rawValue) {
                let list = try s.array(view.rawValue)
                guard !list.isEmpty, list.count <= SealedBody.maxRecipients else {
                    throw RecordError(field: view.rawValue, "must list 1 to \(SealedBody.maxRecipients) reader key ids")
                }
                var kids: [String] = []
                for (i, item) in list.enumerated() {
                    guard let kid = item.stringValue, kid.utf8.count == 64, Hex.decode(kid) != nil, kid == kid.lowercased() else {
                        throw RecordError(field: "\(view.rawValue)[\(i)]", "must be 64 lowercase hex digits")
                    }
                    guard !kids.contains(kid) else { throw RecordError(field: "\(view.rawValue)[\(i)]", "repeated") }
                    kids.append(kid)
                }
                readers[view] = kids
            }
            guard !readers.isEmpty else { throw RecordError(field: "full", "a stored body needs a full or research view") }
            self.readers = readers
        } catch {
            throw error.nested(in: "stored")
        }
        var clear = f.members
        clear["stored"] = nil
        self.clear = clear
    }

    /// Moves an inline sealed body's `sealed` part into a blob: returns the
    /// body to sign and the blob's bytes (to `put` into the store first).
    public static func split(_ sealedBody: JSONValue) throws(RecordError) -> (body: JSONValue, blob: [UInt8]) {
        let sealed = try SealedBody(parsing: sealedBody)
        guard var members = sealedBody.objectValue, let part = members["sealed"] else {
            throw RecordError(field: "sealed", "not a sealed body")
        }
        let bytes = part.canonicalBytes()
        var stored: [String: JSONValue] = ["sha256": .string(SHA256.hash(bytes).hex), "size": .number(Double(bytes.count))]
        for (view, envelope) in sealed.views { stored[view.rawValue] = .array(envelope.recipients.map { .string($0.kid) }) }
        members["sealed"] = nil
        members["stored"] = .object(stored)
        let body = JSONValue.object(members)
        _ = try StoredBody(parsing: body)
        return (body, bytes)
    }

    /// The inline sealed body this one stands for, given the blob's bytes
    /// (their hash must be `blob`). Refused when the blob
    /// is not a sealed part, does not bind its transaction, or wraps for
    /// other readers than the transaction committed to.
    public func sealedBody(blob bytes: [UInt8]) throws(RecordError) -> SealedBody {
        // The store checked it already; a blob handed in any other way is checked here.
        guard SHA256.hash(bytes) == blob else {
            throw RecordError(field: "stored.sha256", "the blob's bytes hash to \(SHA256.hash(bytes).hex), not to the committed \(blob.hex)")
        }
        guard Int64(bytes.count) == size else {
            throw RecordError(field: "stored.size", "the blob has \(bytes.count) bytes, the transaction says \(size)")
        }
        let part: JSONValue
        do { part = try JSONValue.parse(bytes) } catch { throw RecordError(field: "stored", "the blob is not JSON: \(error)") }
        var members = clear
        members["sealed"] = part
        let sealed: SealedBody
        do { sealed = try SealedBody(parsing: .object(members)) } catch { throw error.nested(in: "blob") }
        guard sealed.bindsTransaction else {
            throw RecordError(field: "blob.aad", "a stored blob must bind its transaction (\"aad\":\"\(SealedBody.boundDomain)\")")
        }
        var wrapped: [ReadView: [String]] = [:]
        for (view, envelope) in sealed.views { wrapped[view] = envelope.recipients.map(\.kid) }
        guard wrapped == readers else {
            throw RecordError(field: "stored", "the blob is wrapped for other reader keys than the transaction names")
        }
        return sealed
    }
}

extension StoredBody {
    /// What a store makes of a transaction's stored body.
    public enum Opening: Sendable {
        case sealed(SealedBody)
        /// Erased by this erasure transaction: never opened again.
        case erased(SHA256Digest)
        case missing
        /// The blob is corrupt or does not belong to the transaction.
        case bad(String)
    }

    /// The sealed body from `store`, checked (hash by the store, binding and
    /// readers here).
    public func open(in store: BlobStore) -> Opening {
        let found: BlobStore.Lookup
        do { found = try store.get(blob) } catch { return .bad("\(error)") }
        switch found {
        case .erased(let txid): return .erased(txid)
        case .missing: return .missing
        case .present(let bytes):
            do { return .sealed(try sealedBody(blob: bytes)) } catch { return .bad("\(store.file(of: blob)): \(error)") }
        }
    }
}
