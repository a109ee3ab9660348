/// The device's authentication of a reading: `mac` = HMAC-SHA256 under the
/// device's PSK over the canonical form of the reading without `mac`.
public enum DeviceMAC {
    static func input(_ members: [String: JSONValue]) -> [UInt8] {
        var unsigned = members
        unsigned["mac"] = nil
        return JSONValue.object(unsigned).canonicalBytes()
    }

    public static func compute(_ members: [String: JSONValue], key: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticationCode(for: input(members), key: key)
    }

    /// What a device (or simulator) does: MAC the object it sends, as it is.
    /// Only `device` is needed, to pick the key; judging the reading is the
    /// gateway's job (ehx-ingest), so a bad value reaches it and is rejected
    /// there, where the rejects are kept.
    public static func attach(to json: JSONValue, keys: PSKFile) throws(RecordError) -> JSONValue {
        guard var members = json.objectValue else {
            throw RecordError(field: nil, "expected a JSON object, got \(json.typeName)")
        }
        guard let device = members["device"]?.stringValue else {
            throw RecordError(field: "device", members["device"] == nil ? "missing" : "expected a string")
        }
        guard let key = keys.key(for: device) else {
            throw RecordError(field: "device", "unknown device \"\(device)\" (not in the PSK file)")
        }
        members["mac"] = .string(Hex.encode(compute(members, key: key)))
        return .object(members)
    }
}
