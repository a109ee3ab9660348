/// One vital-sign reading as a sensor or gateway sends it (DESIGN "Records").
/// Parsing checks the schema, the kind's unit and the physically possible
/// range; it does not check the MAC, which needs the gateway's PSK file.
public struct SensorReading: Sendable {
    public static let fields: Set<String> = ["device", "patient", "seq", "ts", "kind", "value", "unit", "mac", "samples"]
    /// Seqs stay exact in an IEEE double, which is what JSON numbers are.
    public static let maxSeq: Int64 = 1 << 53
    static let maxSamples = 100_000

    public let device: String
    public let patient: String
    public let seq: Int64
    public let ts: Timestamp
    public let kind: ReadingKind
    public let value: JSONValue
    public let mac: [UInt8]?
    /// The object as received: what gets signed, so no value is rounded or reshaped.
    public let object: [String: JSONValue]

    public init(parsing json: JSONValue) throws(RecordError) {
        guard let members = json.objectValue else {
            throw RecordError(field: nil, "expected a JSON object, got \(json.typeName)")
        }
        // One pass over the members instead of a hashed lookup per field.
        var device, patient, seq, ts, kind, value, unit, mac, samples: JSONValue?
        for (key, member) in members {
            switch key {
            case "device": device = member
            case "patient": patient = member
            case "seq": seq = member
            case "ts": ts = member
            case "kind": kind = member
            case "value": value = member
            case "unit": unit = member
            case "mac": mac = member
            case "samples": samples = member
            default:
                // An unknown field: RecordFields names the right one.
                _ = try RecordFields(json, allowed: Self.fields)
            }
        }
        typealias F = RecordFields
        self.device = try F.string(device, "device", maxLength: 128)
        self.patient = try F.string(patient, "patient", maxLength: 128)
        self.seq = try F.integer(seq, "seq", in: 0...Self.maxSeq)
        self.ts = try F.timestamp(ts, "ts")
        let readingKind = try ReadingKind.parse(try F.string(kind, "kind", maxLength: 64))
        self.kind = readingKind
        let unitName = try F.string(unit, "unit", maxLength: 32)
        guard unitName == readingKind.unit else {
            throw RecordError(field: "unit", "\(readingKind.rawValue) is measured in \"\(readingKind.unit)\", not \"\(unitName)\"")
        }
        let checked = try F.present(value, "value")
        self.value = checked
        try Self.checkValue(checked, kind: readingKind)
        if samples != nil {
            guard readingKind == .emg else { throw RecordError(field: "samples", "only emg readings carry samples") }
            let samples = try F.array(samples, "samples")
            guard samples.count <= Self.maxSamples else {
                throw RecordError(field: "samples", "more than \(Self.maxSamples) samples")
            }
            for (i, s) in samples.enumerated() where s.numberValue == nil {
                throw RecordError(field: "samples[\(i)]", "expected a number, got \(s.typeName)")
            }
        }
        if mac != nil {
            let text = try F.string(mac, "mac", maxLength: 64)
            guard let bytes = Hex.decode(text), bytes.count == 32 else {
                throw RecordError(field: "mac", "must be 64 lowercase hex digits (HMAC-SHA256)")
            }
            self.mac = bytes
        } else {
            self.mac = nil
        }
        object = members
    }

    static func checkValue(_ value: JSONValue, kind: ReadingKind) throws(RecordError) {
        switch kind {
        case .bloodPressure:
            let systolic: Double, diastolic: Double
            do {
                let bp = try RecordFields(value, allowed: ["systolic", "diastolic"])
                systolic = try bp.number("systolic")
                diastolic = try bp.number("diastolic")
            } catch {
                throw error.nested(in: "value")
            }
            guard ReadingKind.systolicRange.contains(systolic) else {
                throw RecordError(field: "value.systolic", "\(JCS.serialize(number: systolic)) mm[Hg] is not physically possible")
            }
            guard ReadingKind.diastolicRange.contains(diastolic) else {
                throw RecordError(field: "value.diastolic", "\(JCS.serialize(number: diastolic)) mm[Hg] is not physically possible")
            }
            guard diastolic < systolic else {
                throw RecordError(field: "value.diastolic", "diastolic \(JCS.serialize(number: diastolic)) is not below systolic \(JCS.serialize(number: systolic))")
            }
        case .consciousness:
            guard let level = value.stringValue, ReadingKind.consciousnessLevels.contains(level) else {
                throw RecordError(field: "value", "consciousness is one ACVPU letter: A, C, V, P or U")
            }
        case .oxygen:
            guard value.boolValue != nil else {
                throw RecordError(field: "value", "oxygen is true (on supplemental oxygen) or false (air)")
            }
        default:
            guard let n = value.numberValue else {
                throw RecordError(field: "value", "expected a number, got \(value.typeName)")
            }
            if let range = kind.possibleRange, !range.contains(n) {
                throw RecordError(field: "value", "\(kind.rawValue) \(JCS.serialize(number: n)) \(kind.unit) is not physically possible (\(JCS.serialize(number: range.lowerBound))...\(JCS.serialize(number: range.upperBound)))")
            }
        }
    }

    public func hasValidMAC(key: [UInt8]) -> Bool {
        hasValidMAC(key: key, input: DeviceMAC.input(object))
    }

    /// `input`: `DeviceMAC.input(object)`, when the caller already has it.
    func hasValidMAC(key: [UInt8], input: [UInt8]) -> Bool {
        guard let mac else { return false }
        return ConstantTime.equals(HMACSHA256.authenticationCode(for: input, key: key), mac)
    }

    /// The reading with `mac` computed under the device key (replacing any old one).
    public func authenticated(key: [UInt8]) -> JSONValue {
        var members = object
        members["mac"] = .string(Hex.encode(DeviceMAC.compute(object, key: key)))
        return .object(members)
    }

    /// A numeric view of the value for rules and filters (systolic for BP).
    public var primaryNumber: Double? {
        if kind == .bloodPressure { return value["systolic"]?.numberValue }
        return value.numberValue
    }
}
