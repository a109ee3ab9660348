/// The gateway's table of device pre-shared keys:
/// `{"v":1,"devices":{"bed12-hr":{"key":"<base64url 32 bytes>","created":"…"}}}`.
/// It is a secret file: 0600, refused when others can read it, rewritten
/// atomically. Keys never appear in messages.
public struct PSKFile: Sendable {
    public static let keyBytes = 32

    public private(set) var keys: [String: [UInt8]]
    private var created: [String: String]

    public init() {
        keys = [:]
        created = [:]
    }

    public static func load(path: String) throws(KeyFileError) -> PSKFile {
        let bytes = try KeyFile.readSecretFile(path: path)
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch {
            throw .malformed(path: path, detail: "not a PSK file: \(error.description)")
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

    public mutating func add(device: String, key: [UInt8], created: Timestamp = .now()) {
        keys[device] = key
        self.created[device] = created.description
    }

    public func save(path: String) throws(KeyFileError) {
        var devices: [String: JSONValue] = [:]
        for (device, key) in keys {
            var entry: [String: JSONValue] = ["key": .string(Base64URL.encode(key))]
            if let c = created[device] { entry["created"] = .string(c) }
            devices[device] = .object(entry)
        }
        let root: JSONValue = ["v": 1, "devices": .object(devices)]
        try KeyFile.writeSecretFileAtomically(path: path, contents: root.canonicalBytes() + [0x0a])
    }
}
