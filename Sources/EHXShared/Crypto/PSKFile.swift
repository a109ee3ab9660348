/// The gateway's table of device pre-shared keys:
/// `{"v":1,"devices":{"bed12-hr":{"key":"<base64url 32 bytes>","created":"…"}}}`.
/// After a rotation an entry also keeps the key it replaced and the end of
/// its grace window: `"previous":{"key":"…","until":"<RFC 3339>"}`.
/// It is a secret file: 0600, refused when others can read it, rewritten
/// atomically. Keys never appear in messages.
public struct PSKFile: Sendable {
    public static let keyBytes = 32

    /// A device's key before a rotation, accepted until `until`.
    public struct PreviousKey: Sendable, Equatable {
        public let key: [UInt8]
        public let until: Timestamp
    }

    public private(set) var keys: [String: [UInt8]]
    private var created: [String: String]
    public private(set) var previous: [String: PreviousKey]

    public init() {
        keys = [:]
        created = [:]
        previous = [:]
    }

    public static func load(path: String) throws(KeyFileError) -> PSKFile {
        let bytes = try KeyFile.readSecretFile(path: path)
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch {
            throw .malformed(path: path, detail: "not a PSK file: \(error.withoutContext)")
        }
        guard root["v"]?.integerValue == 1, let devices = root["devices"]?.objectValue else {
            throw .malformed(path: path, detail: "not a PSK file (expected {\"v\":1,\"devices\":{…}})")
        }
        var file = PSKFile()
        for (device, entry) in devices {
            guard let text = entry["key"]?.stringValue, let key = Base64URL.decode(text), key.count == keyBytes else {
                throw .malformed(path: path, detail: "device \(device): key must be \(keyBytes) bytes of base64url")
            }
            file.keys[device] = key
            file.created[device] = entry["created"]?.stringValue
            if let old = entry["previous"] {
                guard let oldText = old["key"]?.stringValue, let oldKey = Base64URL.decode(oldText), oldKey.count == keyBytes,
                      let untilText = old["until"]?.stringValue, let until = Timestamp(rfc3339: untilText) else {
                    throw .malformed(path: path, detail: "device \(device): previous must be {\"key\":<\(keyBytes) bytes base64url>,\"until\":<RFC 3339 time>}")
                }
                file.previous[device] = PreviousKey(key: oldKey, until: until)
            }
        }
        return file
    }

    /// Loads the file, or starts an empty table when it does not exist yet.
    public static func loadOrEmpty(path: String) throws(KeyFileError) -> PSKFile {
        do { return try load(path: path) } catch {
            if case .missing = error { return PSKFile() }
            throw error
        }
    }

    public func key(for device: String) -> [UInt8]? { keys[device] }

    /// The replaced key while its grace window is open at `now`.
    public func previousKey(for device: String, at now: Timestamp) -> [UInt8]? {
        guard let p = previous[device], now <= p.until else { return nil }
        return p.key
    }

    public mutating func add(device: String, key: [UInt8], created: Timestamp = .now()) {
        keys[device] = key
        self.created[device] = created.description
        previous[device] = nil
    }

    /// Gives the device a new key; the current one stays valid until `graceUntil`.
    public mutating func rotate(device: String, newKey: [UInt8], graceUntil: Timestamp, now: Timestamp = .now()) {
        if let old = keys[device] {
            previous[device] = PreviousKey(key: old, until: graceUntil)
        }
        keys[device] = newKey
        created[device] = now.description
    }

    public func save(path: String) throws(KeyFileError) {
        try KeyFile.writeSecretFileAtomically(path: path, contents: json(devices: Array(keys.keys)).canonicalBytes() + [0x0a])
    }

    /// Writes a new file (0600, never over an existing one) holding
    /// `device`'s current key and no other: the file a device is given, so
    /// a captured device cannot MAC another's readings.
    public func export(device: String, to path: String) throws(KeyFileError) {
        guard keys[device] != nil else { throw .malformed(path: path, detail: "no key for device \(EchoedText.quoted(device))") }
        var own = PSKFile()
        own.keys[device] = keys[device]
        own.created[device] = created[device]
        try KeyFile.createExclusively(path: path, mode: 0o600, contents: own.json(devices: [device]).canonicalBytes() + [0x0a])
    }

    private func json(devices names: [String]) -> JSONValue {
        var devices: [String: JSONValue] = [:]
        for device in names {
            guard let key = keys[device] else { continue }
            var entry: [String: JSONValue] = ["key": .string(Base64URL.encode(key))]
            if let c = created[device] { entry["created"] = .string(c) }
            if let p = previous[device] {
                entry["previous"] = ["key": .string(Base64URL.encode(p.key)), "until": .string(p.until.description)]
            }
            devices[device] = .object(entry)
        }
        return ["v": 1, "devices": .object(devices)]
    }
}
