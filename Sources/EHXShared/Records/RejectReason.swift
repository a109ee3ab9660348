/// Why a line or record was refused, as a stable code: the `code` of a
/// reject record, so `jq -r .code rejects.jsonl | sort | uniq -c` counts
/// them. Set where the error is raised (`RecordError.reason`), never read
/// back from a message's text. A transaction refused against the chain
/// (ehx-mine) takes the code of the chain rule it breaks instead
/// (`ChainProblem.Rule`: signature, role, duplicate-txid, ...).
public enum RejectReason: String, Sendable, CaseIterable {
    /// The line is not JSON.
    case json
    /// The line is longer than a record may be; refused unread.
    case tooLong = "too-long"
    /// A field is missing, of the wrong type or form, or not known.
    case schema
    /// The reading's kind is not one ehx records.
    case kind
    /// The unit is not the kind's.
    case unit
    /// The value is not physically possible for its kind.
    case range
    /// The device is not in the PSK file.
    case unknownDevice = "unknown-device"
    /// The reading has no MAC.
    case macMissing = "mac-missing"
    /// The MAC does not verify under the device's key.
    case mac
    /// The device's seq is not above its last one.
    case replay
    /// The reading's time is further ahead of the gateway's clock than --max-skew.
    case tsFuture = "ts-future"
    /// The reading's time is before the device's last accepted one.
    case tsOrder = "ts-order"
    /// `--archive`: the reading's time is further past the archive's latest than --max-gap, and no reading after a gap confirms it.
    case tsGap = "ts-gap"
    /// A CSV row that cannot be read: bad quotes, the wrong number of cells, a cell that is not a value.
    case csv
    /// A FHIR resource that is not an Observation of a vital sign ehx records.
    case fhir
    /// The record says it has no value (FHIR dataAbsentReason).
    case absent
    /// Anything else (the message says what).
    case invalid

    /// The code of any error a tool refuses a record with.
    public static func code(of error: any Error) -> String {
        if let e = error as? RecordError { return e.reason.rawValue }
        if let p = error as? ChainProblem { return p.rule.rawValue }
        if error is JSONError { return RejectReason.json.rawValue }
        return RejectReason.invalid.rawValue
    }
}
