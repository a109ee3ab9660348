#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What ehx-ingest remembers between runs (`--state FILE`): per device the
/// last accepted seq and ts (replay protection), per patient the latest value
/// of each NEWS2 parameter, the last NEWS2 risk and the adaptive baselines.
///
///     {"v":1,"devices":{"bed12-mon":{"seq":42,"ts":"…"}},
///      "patients":{"P-0001":{"risk":"low",
///         "vitals":{"pulse":{"value":72,"ts":"…"}},
///         "baselines":{"heart_rate":{"n":120,"mean":71.2,"var":3.4}}}}}
public struct IngestState: Sendable {
    public struct Device: Sendable, Equatable {
        public var seq: Int64
        public var ts: Timestamp
    }

    public struct Vital: Sendable, Equatable {
        public var value: JSONValue
        public var ts: Timestamp
    }

    public struct Patient: Sendable {
        public var risk: Alert.Level?
        var vitalSlots = PatientVitals()
        var baselineSlots = PatientBaselines()
        public init() {}

        public var vitals: [NEWS2.Parameter: Vital] {
            get {
                var result: [NEWS2.Parameter: Vital] = [:]
                for p in NEWS2.Parameter.allCases { result[p] = vitalSlots[p] }
                return result
            }
            set {
                vitalSlots = PatientVitals()
                for (p, v) in newValue { vitalSlots.set(p, value: v.value, numeric: NEWS2.number(p, value: v.value), ts: v.ts) }
            }
        }

        public var baselines: [ReadingKind: Baseline] {
            get {
                var result: [ReadingKind: Baseline] = [:]
                for kind in ReadingKind.allCases { result[kind] = baselineSlots[kind] }
                return result
            }
            set {
                baselineSlots = PatientBaselines()
                for (kind, b) in newValue { baselineSlots[kind] = b }
            }
        }
    }

    /// A device's replay memory, and the patient its last reading named so
    /// that the next one (almost always the same patient) needs no lookup.
    struct DeviceRecord: Sendable {
        var last: Device
        var patientID: String?
        var patientSlot = 0
    }

    // One hashed lookup by device per reading finds both the device and,
    // through its cached patient, the patient's slot.
    var deviceSlots: [String: Int] = [:]
    var deviceRecords: [DeviceRecord] = []
    var patientSlots: [String: Int] = [:]
    var patientRecords: [Patient] = []
    /// `--archive`'s own time, set from the devices' latest when the state
    /// is loaded (never saved: it is no more than that).
    var archiveClock = ArchiveClock()

    public init() {}

    public var devices: [String: Device] {
        get { deviceSlots.mapValues { deviceRecords[$0].last } }
        set {
            deviceSlots = [:]
            deviceRecords = []
            for (id, device) in newValue { addDevice(id, device) }
        }
    }

    public var patients: [String: Patient] {
        get { patientSlots.mapValues { patientRecords[$0] } }
        set {
            patientSlots = [:]
            patientRecords = []
            for i in deviceRecords.indices { deviceRecords[i].patientID = nil }
            for (id, patient) in newValue { _ = addPatient(id, patient) }
        }
    }

    func deviceSlot(_ id: String) -> Int? { deviceSlots[id] }

    @discardableResult
    mutating func addDevice(_ id: String, _ device: Device) -> Int {
        deviceRecords.append(DeviceRecord(last: device))
        deviceSlots[id] = deviceRecords.count - 1
        return deviceRecords.count - 1
    }

    private mutating func addPatient(_ id: String, _ patient: Patient) -> Int {
        patientRecords.append(patient)
        patientSlots[id] = patientRecords.count - 1
        return patientRecords.count - 1
    }

    /// The slot of patient `id` in `patientRecords`, added when new.
    mutating func patientSlot(_ id: String) -> Int {
        if let slot = patientSlots[id] { return slot }
        return addPatient(id, Patient())
    }

    /// `patientSlot(id)`, remembered per device.
    mutating func patientSlot(_ id: String, device: Int) -> Int {
        if let cached = deviceRecords[device].patientID, cached == id { return deviceRecords[device].patientSlot }
        let slot = patientSlot(id)
        deviceRecords[device].patientID = id
        deviceRecords[device].patientSlot = slot
        return slot
    }

    public var json: JSONValue {
        var d: [String: JSONValue] = [:]
        for (id, slot) in deviceSlots {
            let dev = deviceRecords[slot].last
            d[id] = ["seq": .number(Double(dev.seq)), "ts": .string(dev.ts.description)]
        }
        var p: [String: JSONValue] = [:]
        for (id, slot) in patientSlots {
            let pat = patientRecords[slot]
            var vitals: [String: JSONValue] = [:]
            for param in NEWS2.Parameter.allCases {
                if let v = pat.vitalSlots[param] { vitals[param.rawValue] = ["value": v.value, "ts": .string(v.ts.description)] }
            }
            var baselines: [String: JSONValue] = [:]
            for kind in ReadingKind.allCases {
                if let b = pat.baselineSlots[kind] { baselines[kind.rawValue] = b.json }
            }
            var entry: [String: JSONValue] = ["vitals": .object(vitals), "baselines": .object(baselines)]
            if let risk = pat.risk { entry["risk"] = .string(risk.rawValue) }
            p[id] = .object(entry)
        }
        return ["v": 1, "devices": .object(d), "patients": .object(p)]
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        let f = try RecordFields(json, allowed: ["v", "devices", "patients"])
        guard try f.integer("v", in: 1...1) == 1 else { throw RecordError(field: "v", "must be 1") }
        for (id, entry) in try f.object("devices").objectValue ?? [:] {
            guard let seq = entry["seq"]?.integerValue, let tsText = entry["ts"]?.stringValue,
                  let ts = Timestamp(rfc3339: tsText) else {
                throw RecordError(field: "devices.\(id)", "expected {\"seq\":N,\"ts\":\"…\"}")
            }
            addDevice(id, Device(seq: seq, ts: ts))
            archiveClock.accept(ts)
        }
        for (id, entry) in try f.object("patients").objectValue ?? [:] {
            var pat = Patient()
            if let r = entry["risk"] {
                guard let name = r.stringValue, let level = Alert.Level(rawValue: name) else {
                    throw RecordError(field: "patients.\(id).risk", "not a NEWS2 risk")
                }
                pat.risk = level
            }
            for (name, v) in entry["vitals"]?.objectValue ?? [:] {
                guard let param = NEWS2.Parameter(rawValue: name), let value = v["value"],
                      let tsText = v["ts"]?.stringValue, let ts = Timestamp(rfc3339: tsText) else {
                    throw RecordError(field: "patients.\(id).vitals.\(name)", "expected a NEWS2 parameter with value and ts")
                }
                pat.vitalSlots.set(param, value: value, numeric: NEWS2.number(param, value: value), ts: ts)
            }
            for (name, b) in entry["baselines"]?.objectValue ?? [:] {
                guard let kind = ReadingKind(rawValue: name), let baseline = Baseline(json: b) else {
                    throw RecordError(field: "patients.\(id).baselines.\(name)", "expected a kind with n, mean and var")
                }
                pat.baselineSlots[kind] = baseline
            }
            _ = addPatient(id, pat)
        }
    }

    /// The state in `path`, or an empty one when the file does not exist yet.
    public static func load(path: String) throws(ToolError) -> IngestState {
        let bytes: [UInt8]
        do {
            bytes = try KeyFile.readSecretFile(path: path)
        } catch {
            if case .missing = error { return IngestState() }
            throw ToolError(error.exitStatus, error.description)
        }
        do {
            return try IngestState(parsing: try JSONValue.parse(bytes))
        } catch let error as JSONError {
            // Patient data: no parser context from the file reaches a message.
            throw ToolError(.dataErr, "\(path): not an ehx-ingest state file: \(error.withoutContext)")
        } catch {
            throw ToolError(.dataErr, "\(path): not an ehx-ingest state file: \(error)")
        }
    }

    /// Replaces the file atomically (temporary file, fsync, rename, fsync of
    /// the directory): a crash leaves either the old state or the new one.
    public func save(path: String) throws(ToolError) {
        let (directory, name) = try SafeDirectory.containing(path)
        do throws(ToolError) {
            try directory.replace(name, mode: 0o600, contents: json.canonicalBytes() + [0x0a])
        } catch {
            throw ToolError(.cantCreate, error.description)
        }
    }
}

/// An exclusive, non-blocking flock(2) on `STATE.lock`, so two gateway runs
/// (an overlapping cron job) never read the same state and both write it.
public final class StateLock {
    private let descriptor: Int32

    public init(statePath: String) throws(ToolError) {
        let path = statePath + ".lock"
        let (directory, name) = try SafeDirectory.containing(path)
        descriptor = try directory.openLockFile(name)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK {
                throw ToolError(.tempFail, "\(statePath): another ehx-ingest run holds \(path); try again later")
            }
            throw ToolError(.ioErr, FileProblem.message(path, cannot: "lock", errno: code))
        }
    }

    deinit { close(descriptor) }
}
