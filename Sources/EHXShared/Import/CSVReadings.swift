/// Monitor exports as readings (`ehx-ingest --from csv`): the header names
/// the columns; each row gives one reading per vital-sign column that has a
/// value. Known column names (case-insensitive) are below; `--column
/// NAME=ROLE` adds or overrides one (ROLE: a kind, ts, device, patient,
/// systolic, diastolic, pleth or ignore). An empty cell is no reading (a
/// systolic without a diastolic is a blood pressure whose diastolic is
/// null, as is one whose diastolic is the monitor's 0). A 0
/// is what bedside monitors write for "no signal": it becomes a reading
/// recorded as absent (`"absent"`, value null), so sensor-off periods leave
/// a trace, except a respiration of 0 while the same row has a heart rate
/// and an SpO2, which is apnoea and is scored. A heart rate and a
/// respiration both 0 mean the ECG leads (which measure both) are off. A
/// PULSE column (the pulse oximeter's count) rides on the heart rate
/// reading as `pleth`, for the gateway to cross-check the ECG.
/// A row's errors name the column as the header spells it (the field of
/// the error), so a reject points at the cell.
public struct CSVReadings: Sendable {
    public enum Role: Equatable, Sendable {
        case ts, device, patient, systolic, diastolic, pleth, ignore
        case kind(ReadingKind)

        /// A `--column` argument, NAME=ROLE, as the column's name and role.
        public static func mapping(_ argument: String) -> (column: String, role: Role)? {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let role = Role(name: parts[1]) else { return nil }
            return (parts[0], role)
        }

        public init?(name: String) {
            switch name {
            case "ts": self = .ts
            case "device": self = .device
            case "patient": self = .patient
            case "systolic": self = .systolic
            case "diastolic": self = .diastolic
            case "pleth": self = .pleth
            case "ignore": self = .ignore
            default:
                guard let k = ReadingKind(rawValue: name), k != .bloodPressure, k != .emg else { return nil }
                self = .kind(k)
            }
        }
    }

    static let known: [String: Role] = [
        "ts": .ts, "time": .ts, "timestamp": .ts, "datetime": .ts, "date_time": .ts, "timestamp_surrogate": .ts,
        "device": .device, "patient": .patient,
        "heart_rate": .kind(.heartRate), "hr": .kind(.heartRate),
        "temperature": .kind(.temperature), "temp": .kind(.temperature),
        "spo2": .kind(.spo2), "sao2": .kind(.spo2),
        "resp_rate": .kind(.respRate), "resp": .kind(.respRate), "rr": .kind(.respRate),
        "systolic": .systolic, "sys": .systolic, "nbpsys": .systolic, "bp_sys": .systolic,
        "diastolic": .diastolic, "dia": .diastolic, "nbpdias": .diastolic, "bp_dia": .diastolic,
        "consciousness": .kind(.consciousness), "oxygen": .kind(.oxygen),
        "pulse": .pleth, "pleth": .pleth,
    ]

    public let roles: [Role]
    /// The header's column names, as written.
    public let names: [String]
    public let ignored: [String]
    let device: String?
    let patient: String?

    public init(header: [String], overrides: [String: Role], device: String?, patient: String?) throws(ToolError) {
        var roles: [Role] = []
        var ignored: [String] = []
        for name in header {
            let role = overrides[name] ?? Self.known[name.lowercased()] ?? .ignore
            if role == .ignore { ignored.append(name) }
            if role != .ignore, roles.contains(role) {
                throw ToolError(.usage, "CSV header: two columns are \(Self.describe(role)); pick one with --column NAME=ignore")
            }
            roles.append(role)
        }
        guard roles.contains(.ts) else { throw ToolError(.usage, "CSV header: no time column (ts, time, timestamp; or --column NAME=ts)") }
        guard device != nil || roles.contains(.device) else { throw ToolError(.usage, "CSV input has no device column: give --device") }
        guard patient != nil || roles.contains(.patient) else { throw ToolError(.usage, "CSV input has no patient column: give --patient") }
        guard roles.contains(where: { if case .kind = $0 { return true }; return $0 == .systolic }) else {
            throw ToolError(.usage, "CSV header: no vital-sign column")
        }
        self.roles = roles
        self.names = header
        self.ignored = ignored
        self.device = device
        self.patient = patient
    }

    /// The header's name of the column with `role`, if any.
    public func column(_ role: Role) -> String? {
        roles.firstIndex(of: role).map { names[$0] }
    }

    /// The column a reading of `kind` came from (blood pressure: systolic's).
    public func column(of kind: ReadingKind) -> String? {
        kind == .bloodPressure ? column(.systolic) : column(.kind(kind))
    }

    static func describe(_ role: Role) -> String {
        if case let .kind(k) = role { return k.rawValue }
        return "\(role)"
    }

    /// Splits one CSV line (RFC 4180 quotes; no line breaks inside a field).
    public static func split(_ line: [UInt8]) -> [String]? {
        var fields: [String] = []
        var field: [UInt8] = []
        var i = 0
        var quoted = false
        while i < line.count {
            let c = line[i]
            if quoted {
                if c == 0x22 {
                    if i + 1 < line.count, line[i + 1] == 0x22 { field.append(0x22); i += 1 } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == 0x22, field.isEmpty {
                quoted = true
            } else if c == 0x2c {
                guard let s = String(validating: field, as: UTF8.self) else { return nil }
                fields.append(s)
                field = []
            } else {
                field.append(c)
            }
            i += 1
        }
        guard !quoted, let s = String(validating: field, as: UTF8.self) else { return nil }
        fields.append(s)
        return fields.map { $0.trimmingSpaces }
    }

    /// The readings in one row; a cell that is not a value throws.
    public func readings(_ cells: [String]) throws(RecordError) -> [JSONValue] {
        guard cells.count == roles.count else {
            throw RecordError(.csv, field: nil, "\(cells.count) fields, but the header has \(roles.count)")
        }
        var ts: Timestamp?
        var device = self.device
        var patient = self.patient
        var systolic: Double?, diastolic: Double?, pleth: Double?
        var numbers: [ReadingKind: Double] = [:]
        var values: [(ReadingKind, JSONValue)] = []
        for (i, (role, cell)) in zip(roles, cells).enumerated() {
            let name = names[i]
            switch role {
            case .ignore: continue
            case .ts:
                guard let t = LooseTime.parse(cell) else { throw RecordError(.csv, field: name, "\"\(cell)\" is not a date and time") }
                ts = t
            case .device: if !cell.isEmpty { device = cell }
            case .patient: if !cell.isEmpty { patient = cell }
            case .systolic: systolic = try Self.number(cell, field: name)
            case .diastolic: diastolic = try Self.number(cell, field: name)
            case .pleth: pleth = try Self.number(cell, field: name)
            case let .kind(kind):
                switch kind {
                case .consciousness:
                    if !cell.isEmpty { values.append((kind, .string(cell))) }
                case .oxygen:
                    switch cell.lowercased() {
                    case "": break
                    case "true", "1", "yes", "oxygen": values.append((kind, true))
                    case "false", "0", "no", "air": values.append((kind, false))
                    default: throw RecordError(.csv, field: name, "\"\(cell)\" is not true/false")
                    }
                default:
                    if let n = try Self.number(cell, field: name) { numbers[kind] = n }
                }
            }
        }
        var absent: [ReadingKind: SensorReading.AbsentReason] = [:]
        let ecgOff = numbers[.heartRate] == 0 && numbers[.respRate] == 0
        for (kind, n) in numbers {
            if n != 0 {
                values.append((kind, .number(n)))
            } else if kind == .respRate, (numbers[.heartRate] ?? 0) != 0, (numbers[.spo2] ?? 0) != 0 || !roles.contains(.kind(.spo2)) {
                values.append((kind, .number(0))) // apnoea
            } else {
                absent[kind] = ecgOff && kind != .spo2 ? .leadsOff : .noSignal
                values.append((kind, .null))
            }
        }
        switch (systolic, diastolic) {
        case (0?, _):
            absent[.bloodPressure] = .noSignal
            values.append((.bloodPressure, .null))
        // No diastolic (an empty cell, or the monitor's 0): the systolic,
        // which NEWS2 scores, is kept with a null diastolic.
        case let (s?, d):
            values.append((.bloodPressure, ["systolic": .number(s), "diastolic": d.flatMap { $0 == 0 ? nil : .number($0) } ?? .null]))
        case (nil, nil): break
        case (nil, _?):
            throw RecordError(.csv, field: column(.systolic) ?? "systolic", "missing while the diastolic is given")
        }
        guard let ts else { throw RecordError(.csv, field: column(.ts) ?? "ts", "missing") }
        guard let device, !device.isEmpty else { throw RecordError(.csv, field: column(.device) ?? "device", "missing") }
        guard let patient, !patient.isEmpty else { throw RecordError(.csv, field: column(.patient) ?? "patient", "missing") }
        // In seq order: seq rises with the kind's index at one instant.
        let order = { (k: ReadingKind) in ReadingKind.allCases.firstIndex(of: k) ?? 0 }
        values.sort { order($0.0) < order($1.0) }
        return values.map { kind, value in
            var object = ImportedReading.object(device: device, patient: patient, ts: ts, kind: kind, value: value)
            if let why = absent[kind] { object = Self.adding("absent", .string(why.rawValue), to: object) }
            if kind == .heartRate, value != .null, let pleth, pleth != 0 { object = Self.adding("pleth", .number(pleth), to: object) }
            return object
        }
    }

    static func adding(_ key: String, _ value: JSONValue, to object: JSONValue) -> JSONValue {
        guard var m = object.objectValue else { return object }
        m[key] = value
        return .object(m)
    }

    /// nil for an empty cell.
    static func number(_ cell: String, field: String) throws(RecordError) -> Double? {
        if cell.isEmpty { return nil }
        guard let n = Double(cell), n.isFinite, cell.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x2d || $0 == 0x2b || $0 == 0x65 || $0 == 0x45 }) else {
            throw RecordError(.csv, field: field, "\"\(cell)\" is not a number")
        }
        return n
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
