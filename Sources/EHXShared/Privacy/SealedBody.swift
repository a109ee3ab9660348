/// What a reader's key may see of a sealed body (the `view` of a policy).
public enum ReadView: String, CaseIterable, Sendable, Comparable {
    /// The whole original body, identifiers included.
    case full
    /// Values, kind, time and the patient pseudonym; never a patient or device id.
    case research
    /// Only the clear part, which everyone holding the chain sees anyway.
    case metadata

    var rank: Int {
        switch self {
        case .metadata: return 0
        case .research: return 1
        case .full: return 2
        }
    }

    public static func < (lhs: ReadView, rhs: ReadView) -> Bool { lhs.rank < rhs.rank }
}

/// A sealed `reading` or `alert` body (man ehx.7, SEALED BODIES):
///
///     {"kind":"heart_rate","ts":"…","seq":42,"patient":"<64 hex>","device":"<64 hex>",
///      "sealed":{"suite":"…","full":{"ct":"…","to":[{"kid":"<64 hex>","enc":"…","key":"…"}]},
///                "research":{…}}}
///
/// Everything but `sealed` is the clear part: the AEAD's associated data. The
/// patient and device members are pseudonyms, never the ids themselves.
public struct SealedBody: Sendable {
    public static let suite = "hpke-base-x25519-hkdf-sha256-chacha20poly1305"
    public static let clearFields: Set<String> = ["kind", "ts", "seq", "patient", "device"]
    static let maxRecipients = 4096

    public struct Recipient: Sendable {
        /// Hex SHA-256 of the reader's Ed25519 key (its address), or of the
        /// policy's emergency X25519 key.
        public let kid: String
        /// HPKE encapsulated key (the ephemeral X25519 public key).
        public let enc: [UInt8]
        /// The view's data key, HPKE-sealed (32 + 16 bytes).
        public let wrappedKey: [UInt8]

        public var json: JSONValue {
            ["kid": .string(kid), "enc": .string(Base64URL.encode(enc)), "key": .string(Base64URL.encode(wrappedKey))]
        }
    }

    public struct Envelope: Sendable {
        /// ChaCha20-Poly1305 under the view's data key (nonce zero: each data key seals once), tag last.
        public let ciphertext: [UInt8]
        public let recipients: [Recipient]

        public func recipient(kid: String) -> Recipient? { recipients.first { $0.kid == kid } }

        public var json: JSONValue {
            ["ct": .string(Base64URL.encode(ciphertext)), "to": .array(recipients.map(\.json))]
        }
    }

    public let kind: ReadingKind
    public let ts: Timestamp
    public let seq: Int64
    public let patient: String
    public let device: String
    public let views: [ReadView: Envelope]
    /// Whether the associated data binds the transaction's type and signer
    /// (`"aad":"ehx-seal-v2"` inside `sealed`); false for bodies sealed
    /// before, which rules-1 chains keep.
    public let bindsTransaction: Bool
    /// The clear members exactly as they are in the body.
    public let clear: [String: JSONValue]

    /// Sealed in the body, or sealed into a blob store (`StoredBody`).
    public static func isSealed(_ body: JSONValue) -> Bool { body["sealed"] != nil || body["stored"] != nil }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: Self.clearFields.union(["sealed"]))
        kind = try ReadingKind.parse(try f.string("kind", maxLength: 64))
        ts = try f.timestamp("ts")
        seq = try f.integer("seq", in: 0...SensorReading.maxSeq)
        patient = try Self.pseudonym(f, "patient")
        device = try Self.pseudonym(f, "device")
        let sealedValue = try f.object("sealed")
        let s = try RecordFields(sealedValue, allowed: ["suite", "full", "research", "aad"])
        do throws(RecordError) {
            guard try s.string("suite", maxLength: 128) == Self.suite else {
                throw RecordError(field: "suite", "must be \"\(Self.suite)\"")
            }
            var views: [ReadView: Envelope] = [:]
            for view in [ReadView.full, .research] where s.has(view.rawValue) {
                do { views[view] = try Self.envelope(try s.object(view.rawValue)) } catch { throw error.nested(in: view.rawValue) }
            }
            guard !views.isEmpty else { throw RecordError(field: "full", "a sealed body needs a full or research view") }
            self.views = views
            if s.has("aad") {
                guard try s.string("aad", maxLength: 32) == Self.boundDomain else {
                    throw RecordError(field: "aad", "must be \"\(Self.boundDomain)\" (or absent, for a body sealed before ehx bound type and signer)")
                }
                bindsTransaction = true
            } else {
                bindsTransaction = false
            }
        } catch {
            throw error.nested(in: "sealed")
        }
        var clear = f.members
        clear["sealed"] = nil
        self.clear = clear
    }

    init(clear: [String: JSONValue], views: [ReadView: Envelope]) throws(RecordError) {
        var members: [String: JSONValue] = clear
        var sealed: [String: JSONValue] = ["suite": .string(Self.suite), "aad": .string(Self.boundDomain)]
        for (view, envelope) in views { sealed[view.rawValue] = envelope.json }
        members["sealed"] = .object(sealed)
        try self.init(parsing: .object(members))
    }

    static func pseudonym(_ f: RecordFields, _ key: String) throws(RecordError) -> String {
        let text = try f.string(key, maxLength: 64)
        guard text.utf8.count == 64, Hex.decode(text) != nil else {
            throw RecordError(field: key, "a sealed body holds a pseudonym here: 64 lowercase hex digits")
        }
        return text
    }

    private static func envelope(_ json: JSONValue) throws(RecordError) -> Envelope {
        let f = try RecordFields(json, allowed: ["ct", "to"])
        let ct = try f.bytes("ct")
        guard ct.count >= AEAD.tagByteCount else { throw RecordError(field: "ct", "shorter than the 16-byte tag") }
        let list = try f.array("to")
        guard !list.isEmpty, list.count <= maxRecipients else {
            throw RecordError(field: "to", "must list 1 to \(maxRecipients) recipients")
        }
        var seen: Set<String> = []
        var recipients: [Recipient] = []
        for (i, item) in list.enumerated() {
            do throws(RecordError) {
                let r = try RecordFields(item, allowed: ["kid", "enc", "key"])
                let kid = try r.string("kid", maxLength: 64)
                guard kid.utf8.count == 64, Hex.decode(kid) != nil else { throw RecordError(field: "kid", "must be 64 lowercase hex digits") }
                guard seen.insert(kid).inserted else { throw RecordError(field: "kid", "repeated") }
                recipients.append(Recipient(kid: kid, enc: try r.bytes("enc", count: X25519.keyByteCount),
                                            wrappedKey: try r.bytes("key", count: 32 + AEAD.tagByteCount)))
            } catch {
                throw error.nested(in: "to[\(i)]")
            }
        }
        return Envelope(ciphertext: ct, recipients: recipients)
    }

    public var json: JSONValue {
        var members = clear
        var sealed: [String: JSONValue] = ["suite": .string(Self.suite)]
        if bindsTransaction { sealed["aad"] = .string(Self.boundDomain) }
        for (view, envelope) in views { sealed[view.rawValue] = envelope.json }
        members["sealed"] = .object(sealed)
        return .object(members)
    }

    /// The domain of associated data that binds type and signer.
    public static let boundDomain = "ehx-seal-v2"

    /// The associated data of a view's ciphertext and of its wrapped keys:
    /// `"ehx-seal-v2\n" || type || "\n" || signer (base64url) || "\n" || view
    /// || "\n" || JCS(clear part)`, so neither can be moved to another view,
    /// another transaction, a changed clear part, another transaction type
    /// or another signer. Bodies sealed before (no `aad`) used
    /// `"ehx-seal-v1\n" || view || "\n" || JCS(clear part)`.
    public func associatedData(_ view: ReadView, type: TxType, signer: Ed25519.PublicKey) -> [UInt8] {
        bindsTransaction ? Self.associatedData(view, clear: clear, type: type, signer: signer)
            : Array("ehx-seal-v1\n\(view.rawValue)\n".utf8) + JSONValue.object(clear).canonicalBytes()
    }

    static func associatedData(_ view: ReadView, clear: [String: JSONValue], type: TxType, signer: Ed25519.PublicKey) -> [UInt8] {
        Array("\(boundDomain)\n\(type.rawValue)\n\(Base64URL.encode(signer.rawRepresentation))\n\(view.rawValue)\n".utf8)
            + JSONValue.object(clear).canonicalBytes()
    }

    /// HPKE `info` for wrapping data keys.
    static let wrapInfo = Array("ehx-wrap-v1".utf8)
}
