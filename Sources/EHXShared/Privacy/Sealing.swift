/// Patient and device pseudonyms: HMAC-SHA256 under the authority's
/// pseudonym key, domain-separated, so the same patient links across
/// readings while neither id can be recovered (or tried) without the key.
public struct PseudonymKey: Sendable {
    public static let minimumByteCount = 32
    let key: [UInt8]

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count >= Self.minimumByteCount else {
            throw .invalidLength(what: "pseudonym key", expected: Self.minimumByteCount, got: bytes.count)
        }
        key = bytes
    }

    /// 64 hex digits: HMAC-SHA256(key, "ehx-pseudonym-v1\n" || domain || "\n" || id).
    public func pseudonym(_ id: String, domain: String) -> String {
        Hex.encode(HMACSHA256.authenticationCode(for: Array("ehx-pseudonym-v1\n\(domain)\n\(id)".utf8), key: key))
    }

    public func patient(_ id: String) -> String { pseudonym(id, domain: "patient") }
    public func device(_ id: String) -> String { pseudonym(id, domain: "device") }
}

extension PseudonymKey: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "PseudonymKey(\(key.count) bytes)" }
    public var debugDescription: String { description }
}

/// Seals reading and alert bodies for the policy's readers, and opens them.
public enum Sealing {
    /// Members that identify a patient or device, or could be used to
    /// re-identify one; they never enter the research view.
    static let identifying: Set<String> = ["patient", "device", "mac", "seq", "ref"]

    /// The sealed form of a plain `reading` or `alert` body, bound to the
    /// transaction `signer` will sign it in as `type`.
    public static func seal(_ body: JSONValue, type: TxType, signer: Ed25519.PublicKey, recipients: [SealRecipient],
                            pseudonyms: PseudonymKey) throws -> JSONValue {
        guard type == .reading || type == .alert else {
            throw RecordError(field: nil, "only reading and alert bodies are sealed, not \(type.rawValue)")
        }
        guard !SealedBody.isSealed(body) else { throw RecordError(field: "sealed", "the body is sealed already") }
        try TransactionBody.check(body, type: type)
        guard let members = body.objectValue, let kind = members["kind"], let ts = members["ts"], let seq = members["seq"],
              let patient = members["patient"]?.stringValue, let device = members["device"]?.stringValue else {
            throw RecordError(field: nil, "a body to seal needs kind, ts, seq, patient and device")
        }
        let clear: [String: JSONValue] = [
            "kind": kind, "ts": ts, "seq": seq,
            "patient": .string(pseudonyms.patient(patient)), "device": .string(pseudonyms.device(device)),
        ]
        var research = members
        for name in identifying { research[name] = nil }
        let plaintexts: [ReadView: JSONValue] = [.full: body, .research: .object(research)]
        var views: [ReadView: SealedBody.Envelope] = [:]
        // Every view of one body fills the same bucket (the full view's, the
        // larger): a research view one bucket below its full view would tell
        // how long the identifying members are.
        let encoded = plaintexts.mapValues { $0.canonicalBytes() }
        let bucket = SealPadding.bucket(for: encoded.values.map(\.count).max() ?? 0, type: type)
        for view in [ReadView.full, .research] {
            let readers = recipients.filter { $0.view == view }
            guard !readers.isEmpty, let plaintext = encoded[view] else { continue }
            let aad = SealedBody.associatedData(view, clear: clear, type: type, signer: signer)
            // A fresh key per view and body, used for exactly one encryption: a zero nonce is safe.
            let dataKey = try SecureRandom.bytes(count: AEAD.chacha20Poly1305.keyByteCount)
            let ct = try AEAD.chacha20Poly1305.seal(SealPadding.pad(plaintext, to: bucket), key: dataKey,
                                                    nonce: [UInt8](repeating: 0, count: AEAD.nonceByteCount), aad: aad)
            var wrapped: [SealedBody.Recipient] = []
            for reader in readers {
                let (enc, key) = try HPKE.seal(dataKey, to: reader.key, info: SealedBody.wrapInfo, aad: aad)
                wrapped.append(SealedBody.Recipient(kid: reader.kid, enc: enc, wrappedKey: key))
            }
            views[view] = SealedBody.Envelope(ciphertext: ct, recipients: wrapped)
        }
        guard !views.isEmpty else {
            throw RecordError(field: "kind", "the read policy in force lets no key with an X25519 key read \(kind.stringValue ?? "this kind"); nothing would ever open it")
        }
        return try SealedBody(clear: clear, views: views).json
    }

    /// What a key could make of a sealed body.
    public enum Opening: Sendable {
        /// The view's plaintext (for research, with the patient pseudonym added).
        case opened(ReadView, JSONValue)
        case notRecipient
        /// The key is a recipient but authentication failed: never shown.
        case tampered(String)
    }

    /// Opens the widest view `kid` has an entry in, with `key`, as the body
    /// of a `type` transaction signed by `signer`: a body moved into another
    /// type or re-signed by another key does not open (unless sealed before
    /// ehx bound them; see `SealedBody.bindsTransaction`).
    public static func open(_ sealed: SealedBody, kid: String, key: X25519.PrivateKey,
                            type: TxType, signer: Ed25519.PublicKey) -> Opening {
        for view in [ReadView.full, .research] {
            guard let envelope = sealed.views[view], let entry = envelope.recipient(kid: kid) else { continue }
            let aad = sealed.associatedData(view, type: type, signer: signer)
            let dataKey: [UInt8]
            do {
                dataKey = try HPKE.open(entry.wrappedKey, enc: entry.enc, recipient: key, info: SealedBody.wrapInfo, aad: aad)
            } catch {
                return .tampered("the wrapped key for \(kid.prefix(16)) does not open (altered, or not this key's X25519 key): \(error)")
            }
            let plaintext: [UInt8]
            do {
                plaintext = try AEAD.chacha20Poly1305.open(envelope.ciphertext, key: dataKey,
                                                           nonce: [UInt8](repeating: 0, count: AEAD.nonceByteCount), aad: aad)
            } catch {
                return .tampered("the \(view.rawValue) ciphertext does not authenticate: \(error)")
            }
            guard let json = try? JSONValue.parse(Array(SealPadding.unpad(plaintext))), var members = json.objectValue else {
                return .tampered("the \(view.rawValue) plaintext is not a JSON object")
            }
            // The sealer bound these in clear; the sealed body must agree with them.
            for name in ["kind", "ts"] where members[name] != sealed.clear[name] {
                return .tampered("the sealed \(name) disagrees with the clear part")
            }
            if view == .full, members["seq"] != sealed.clear["seq"] {
                return .tampered("the sealed seq disagrees with the clear part")
            }
            if view == .research {
                members["patient"] = sealed.clear["patient"]
            }
            return .opened(view, .object(members))
        }
        return .notRecipient
    }
}
