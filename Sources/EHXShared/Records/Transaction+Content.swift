extension Transaction {
    /// A body as it was read. The verifier's quick read of a plain reading
    /// (`Transaction(canonicalLine:)`) keeps the `SensorReading` it checked
    /// the body with, so the chain's rules read its device, seq and time
    /// from fields rather than from a dictionary built, hashed and freed for
    /// every transaction (issue 19: 10k of the 74k instructions a verified
    /// transaction spent outside OpenSSL). Every other body is its JSON.
    ///
    /// The reading lies in a box of its own: inline it would make every
    /// copy of a transaction (a block's array, a window's batch) a memcpy
    /// of its hundred-odd bytes and a retain of each of its strings.
    enum Content: Sendable {
        case json(JSONValue)
        indirect case reading(SensorReading)
    }

    /// The body's JSON, the same value for either content: a reading's is
    /// made from the members it was read from (`SensorReading.object`),
    /// when asked.
    public var body: JSONValue {
        switch content {
        case .json(let value): value
        case .reading(let reading): .object(reading.object)
        }
    }

    /// The plain reading the body is, when it was read as one.
    public var readBody: SensorReading? {
        if case .reading(let reading) = content { return reading }
        return nil
    }

    /// `body[name]?.stringValue`, from the reading's fields when the body
    /// was read as one (no dictionary is made for the names below).
    public func bodyString(_ name: String) -> String? {
        if case .reading(let reading) = content {
            switch name {
            case "device": return reading.device
            case "patient": return reading.patient
            case "kind": return reading.kind.rawValue
            case "ts": return reading.tsString
            case "unit": return reading.kind.unit
            case "absent": return reading.absent?.rawValue
            // A name a reading cannot hold (sealed, stored, ref…) is absent.
            default: if !SensorReading.fields.contains(name) { return nil }
            }
        }
        return body[name]?.stringValue
    }

    /// `body["seq"]?.integerValue`, from the reading when read as one.
    public var bodySeq: Int64? {
        if case .reading(let reading) = content { return reading.seq }
        return body["seq"]?.integerValue
    }

    /// The body's own `ts` as a time, when it has one that reads as such.
    public var bodyTime: Timestamp? {
        if case .reading(let reading) = content { return reading.ts }
        return body["ts"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
    }

    /// `SealedBody.isSealed(body)`: sealed inline or stored apart (never a
    /// body read as a plain reading).
    public var hasSealedBody: Bool {
        if case .json(let value) = content { return SealedBody.isSealed(value) }
        return false
    }

    /// `StoredBody.isStored(body)`.
    public var hasStoredBody: Bool {
        if case .json(let value) = content { return StoredBody.isStored(value) }
        return false
    }
}
