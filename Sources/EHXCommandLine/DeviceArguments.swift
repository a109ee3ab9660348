import EHXShared

/// The devices a key is bound to, as `ehx-keygen genesis --bind` and
/// `ehx-keygen grant/revoke --device` name them: ids, every device of a PSK
/// file; with a pseudonym key, each one's device pseudonym instead (a sealed
/// reading carries the pseudonym in clear, so that is what the chain binds,
/// and the ids stay off a chain whose readings are sealed).
public enum DeviceArguments {
    /// `ids` plus the devices of `pskFile`, or their pseudonyms when
    /// `pseudonymKey` is given; in order, each byte string once.
    public static func resolve(ids: [String], pskFile: String?, pseudonymKey: String?) throws -> [String] {
        var all = ids
        if let pskFile {
            // PSK file ids come sorted by bytes, so the body is the same every run.
            all += try PSKFile.load(path: pskFile).keys.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        }
        if let pseudonymKey {
            let key = try KeyFile.readPseudonymKey(path: pseudonymKey)
            all = all.map { key.device($0) }
        }
        var seen: Set<ByteIdentity> = []
        let out = all.filter { seen.insert(ByteIdentity($0)).inserted }
        for id in out where id.utf8.isEmpty || id.utf8.count > 128 || id.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw ToolError(.usage, "device \"\(id)\": a device id is 1 to 128 bytes without control characters")
        }
        guard out.count <= KeyChange.maxDevices else { throw ToolError(.usage, "more than \(KeyChange.maxDevices) devices in one binding") }
        return out
    }
}
