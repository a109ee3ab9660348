/// The device keys of a PSK file made ready for HMAC once per worker of a
/// `ParallelStage`: worker w only ever uses cache w, so no libcrypto
/// context is shared between threads, and each device's key is set up at
/// most once per worker instead of once per reading.
public final class DeviceMACCheckers: @unchecked Sendable {
    private final class Cache {
        var keys: [String: HMACSHA256Key] = [:]
    }

    private let psk: PSKFile
    private let caches: [Cache]

    public init(keys: PSKFile, workers: Int) {
        psk = keys
        caches = (0..<max(1, workers)).map { _ in Cache() }
    }

    /// Whether `reading.mac` is the device's MAC of `form` (the reading's
    /// `canonicalForm`) under its current key; nil when the PSK file has
    /// no such device.
    func isValid(_ reading: SensorReading, form: (bytes: [UInt8], macMember: Range<Int>?), worker: Int) -> Bool? {
        guard let mac = reading.macCode else { return false }
        let ready: HMACSHA256Key
        if caches.indices.contains(worker), let known = caches[worker].keys[reading.device] {
            ready = known
        } else {
            guard let key = psk.key(for: reading.device) else { return nil }
            ready = HMACSHA256Key(key: key)
            if caches.indices.contains(worker) { caches[worker].keys[reading.device] = ready }
        }
        return DeviceMAC.matches(mac, form, key: ready)
    }
}
