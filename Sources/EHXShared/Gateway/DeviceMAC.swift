/// The device's authentication of a reading: `mac` = HMAC-SHA256 under the
/// device's PSK over the canonical form of the reading without `mac`.
public enum DeviceMAC {
    static func input(_ members: [String: JSONValue]) -> [UInt8] {
        var unsigned = members
        unsigned["mac"] = nil
        return JSONValue.object(unsigned).canonicalBytes()
    }

    /// Whether `mac` is the MAC of a reading's `canonicalForm`.
    static func matches(_ mac: SIMD32<UInt8>, _ form: (bytes: [UInt8], macMember: Range<Int>?), key: HMACSHA256Key) -> Bool {
        withInput(form) { first, second in
            withUnsafeBytes(of: mac) { key.isAuthenticationCode($0, for: first, second) }
        }
    }

    /// The MAC's input as the two runs of `form` around the `mac` member.
    static func withInput<R>(_ form: (bytes: [UInt8], macMember: Range<Int>?),
                             _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        form.bytes.withUnsafeBytes { all in
            guard let cut = form.macMember else { return body(all, UnsafeRawBufferPointer(start: nil, count: 0)) }
            return body(UnsafeRawBufferPointer(rebasing: all[..<cut.lowerBound]),
                        UnsafeRawBufferPointer(rebasing: all[cut.upperBound...]))
        }
    }

    public static func compute(_ members: [String: JSONValue], key: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticationCode(for: input(members), key: key)
    }

    /// What a device (or simulator) does: MAC the object it sends, as it is.
    /// Only `device` is needed, to pick the key; judging the reading is the
    /// gateway's job (ehx-ingest), so a bad value reaches it and is rejected
    /// there, where the rejects are kept. The one exception is `ts`: a time
    /// the gateway cannot read (no milliseconds, no Z) is a device's clock
    /// formatting bug, not a measurement, so it is refused here with the
    /// gateway's own check instead of being MACed for certain refusal.
    public static func attach(to json: JSONValue, keys: PSKFile) throws(RecordError) -> JSONValue {
        guard var members = json.objectValue else {
            throw RecordError(field: nil, "expected a JSON object, got \(json.typeName)")
        }
        guard let device = members["device"]?.stringValue else {
            throw RecordError(field: "device", members["device"] == nil ? "missing" : "expected a string")
        }
        guard let key = keys.key(for: device) else {
            throw RecordError(.unknownDevice, field: "device", "unknown device \"\(device)\" (not in the PSK file)")
        }
        if let ts = members["ts"] { _ = try RecordFields.timestamp(ts, "ts") }
        members["mac"] = .string(Hex.encode(compute(members, key: key)))
        return .object(members)
    }
}
