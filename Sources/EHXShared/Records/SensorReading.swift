#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One vital-sign reading as a sensor or gateway sends it (DESIGN "Records").
/// Parsing checks the schema, the kind's unit and the physically possible
/// range; it does not check the MAC, which needs the gateway's PSK file.
public struct SensorReading: Sendable {
    public static let fields: Set<String> = ["device", "patient", "seq", "ts", "kind", "value", "unit", "mac", "samples", "absent", "pleth"]

    /// Why a reading carries no value: the monitor reported none (its 0 for
    /// "no signal"), or the ECG leads, which give both heart rate and
    /// respiration, were off. The reading records the absence; it is never
    /// scored.
    public enum AbsentReason: String, CaseIterable, Sendable {
        case noSignal = "no-signal"
        case leadsOff = "leads-off"
    }
    /// Seqs stay exact in an IEEE double, which is what JSON numbers are.
    public static let maxSeq: Int64 = 1 << 53
    static let maxSamples = 100_000
    /// A blood pressure's members (made once: the gateway checks one in six readings against it).
    private static let pressureFields: Set<String> = ["systolic", "diastolic"]

    public let device: String
    public let patient: String
    public let seq: Int64
    public let ts: Timestamp
    /// `ts` as received (its one spelling), for the canonical form.
    private let tsText: SIMD32<UInt8>
    public let kind: ReadingKind
    public let value: JSONValue
    /// The device's HMAC-SHA256, held inline: the gateway parses one per
    /// reading and a heap array each would cost more than the compare.
    let macCode: SIMD32<UInt8>?
    /// EMG only: the raw samples, as received.
    public let samples: [JSONValue]?
    /// Set when the monitor had no value (`value` is then null).
    public let absent: AbsentReason?
    /// Heart rate only: the pulse oximeter's pulse rate at the same time,
    /// which the gateway cross-checks the ECG's count against.
    public let pleth: Double?

    /// A reading's members picked out of its object, before any is checked.
    struct Members<Member: JSONMember> {
        var device, patient, seq, ts, kind, value, unit, mac, samples, absent, pleth: Member?

        /// Takes the member named `key`; false when the name is not a reading's.
        mutating func set(_ key: String, _ member: Member) -> Bool {
            var key = key
            return key.withUTF8 { set(bytes: $0, member) }
        }

        /// `set` for a name given as UTF-8 (as jansson holds it), told apart
        /// by length and first byte before one comparison.
        mutating func set(bytes key: UnsafeBufferPointer<UInt8>, _ member: Member) -> Bool {
            func named(_ name: StaticString) -> Bool {
                guard name.utf8CodeUnitCount == key.count, let base = key.baseAddress else { return false }
                return memcmp(name.utf8Start, base, key.count) == 0
            }
            switch (key.count, key.first ?? 0) {
            case (6, UInt8(ascii: "d")) where named("device"): device = member
            case (7, UInt8(ascii: "p")) where named("patient"): patient = member
            case (3, UInt8(ascii: "s")) where named("seq"): seq = member
            case (2, UInt8(ascii: "t")) where named("ts"): ts = member
            case (4, UInt8(ascii: "k")) where named("kind"): kind = member
            case (5, UInt8(ascii: "v")) where named("value"): value = member
            case (4, UInt8(ascii: "u")) where named("unit"): unit = member
            case (3, UInt8(ascii: "m")) where named("mac"): mac = member
            case (7, UInt8(ascii: "s")) where named("samples"): samples = member
            case (6, UInt8(ascii: "a")) where named("absent"): absent = member
            case (5, UInt8(ascii: "p")) where named("pleth"): pleth = member
            default: return false
            }
            return true
        }
    }

    public init(parsing json: JSONValue) throws(RecordError) {
        guard let object = json.objectValue else {
            throw RecordError(field: nil, "expected a JSON object, got \(json.typeName)")
        }
        // One pass over the members instead of a hashed lookup per field.
        var members = Members<JSONValue>()
        for (key, member) in object where !members.set(key, member) {
            // An unknown field: RecordFields names the right one.
            _ = try RecordFields(json, allowed: Self.fields)
        }
        try self.init(checking: members)
    }

    /// The gateway's path: members are checked where they lie in the
    /// parsed tree, so neither a dictionary of the object nor a String of
    /// every member is made (see JSONNode). `liftedMAC`: the line's mac,
    /// cut out before parsing (see `MACMember`); the object then must hold
    /// no other.
    init(parsing node: JSONNode, liftedMAC: SIMD32<UInt8>? = nil) throws(RecordError) {
        guard node.isObject else {
            throw RecordError(field: nil, "expected a JSON object, got \(node.typeName)")
        }
        var members = Members<JSONNode>()
        var unknown: [String] = []
        node.forEachMember { key, child in
            if !members.set(bytes: key, child) { unknown.append(String(decoding: key, as: UTF8.self)) }
        }
        // As RecordFields reports it: the first unknown name in order.
        if let extra = unknown.min() { throw RecordError(field: extra, "unknown field") }
        // In the whole line the two would be duplicate names: not JSON.
        if liftedMAC != nil, members.mac != nil { throw RecordError(field: "mac", "given twice") }
        try self.init(checking: members, mac: liftedMAC)
    }

    /// A line's reading, parsed without its `mac` member where `MACMember`
    /// finds it; nil when it finds none or the rest gives no valid reading,
    /// for the caller to read the line whole and name the exact refusal.
    init?(lineWithMAC line: UnsafeRawBufferPointer) {
        guard line.count <= MACMember.maxLineBytes, let mac = MACMember(line: line),
              let parsed = mac.withLineWithout(line, { rest in
                  JSONValue.withParsedIfValid(rest) { node in try? Self(parsing: node, liftedMAC: mac.code) }
              }),
              let reading = parsed
        else { return nil }
        self = reading
    }

    private init<Member: JSONMember>(checking m: Members<Member>, mac lifted: SIMD32<UInt8>? = nil) throws(RecordError) {
        typealias F = RecordFields
        self.device = try F.string(m.device, "device", maxLength: 128)
        self.patient = try F.string(m.patient, "patient", maxLength: 128)
        self.seq = try F.integer(m.seq, "seq", in: 0...Self.maxSeq)
        (self.ts, self.tsText) = try F.withTimestamp(m.ts, "ts") { t, text in
            var copy = SIMD32<UInt8>()
            withUnsafeMutableBytes(of: &copy) { $0.copyMemory(from: UnsafeRawBufferPointer(text)) }
            return (t, copy)
        }
        let readingKind = try F.withText(m.kind, "kind", maxLength: 64) { bytes throws(RecordError) in
            try ReadingKind.parse(utf8: bytes)
        }
        self.kind = readingKind
        try F.withText(m.unit, "unit", maxLength: 32) { unit throws(RecordError) in
            guard readingKind.unit.utf8Equals(unit) else {
                throw RecordError(.unit, field: "unit", "\(readingKind.rawValue) is measured in \"\(readingKind.unit)\", not \"\(String(decoding: unit, as: UTF8.self))\"")
            }
        }
        let checked = try F.present(m.value, "value")
        self.value = checked
        if m.absent != nil {
            let reason = try F.string(m.absent, "absent", maxLength: 32)
            guard let why = AbsentReason(rawValue: reason) else {
                throw RecordError(field: "absent", "must be one of \(AbsentReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard case .null = checked else { throw RecordError(field: "value", "must be null when the reading is absent") }
            self.absent = why
        } else {
            self.absent = nil
            try Self.checkValue(checked, kind: readingKind)
        }
        if m.pleth != nil {
            guard readingKind == .heartRate else { throw RecordError(field: "pleth", "only heart_rate readings carry a pleth pulse") }
            let p = try F.present(m.pleth, "pleth")
            guard let n = p.numberValue, ReadingKind.heartRate.possibleRange?.contains(n) == true else {
                throw RecordError(field: "pleth", "expected a pulse rate 1...350")
            }
            self.pleth = n
        } else {
            self.pleth = nil
        }
        if m.samples != nil {
            guard readingKind == .emg else { throw RecordError(field: "samples", "only emg readings carry samples") }
            let samples = try F.array(m.samples, "samples")
            guard samples.count <= Self.maxSamples else {
                throw RecordError(field: "samples", "more than \(Self.maxSamples) samples")
            }
            for (i, s) in samples.enumerated() where s.numberValue == nil {
                throw RecordError(field: "samples[\(i)]", "expected a number, got \(s.typeName)")
            }
            self.samples = samples
        } else {
            self.samples = nil
        }
        if let lifted {
            self.macCode = lifted
        } else if m.mac != nil {
            self.macCode = try F.withText(m.mac, "mac", maxLength: 64) { text throws(RecordError) in
                var code = SIMD32<UInt8>()
                guard text.count == 64, withUnsafeMutableBytes(of: &code, { Hex.decode(text, into: $0) }) else {
                    throw RecordError(field: "mac", "must be 64 lowercase hex digits (HMAC-SHA256)")
                }
                return code
            }
        } else {
            self.macCode = nil
        }
    }

    /// `ts` as it was written (the canonical form writes these bytes).
    public var tsString: String {
        withUnsafeBytes(of: tsText) { String(decoding: $0.prefix(Timestamp.textLength), as: UTF8.self) }
    }

    public var mac: [UInt8]? {
        macCode.map { code in withUnsafeBytes(of: code) { Array($0) } }
    }

    /// The object the reading was parsed from, in the form that canonical
    /// JSON gives it (every member checked, so nothing else can differ).
    public var object: [String: JSONValue] {
        var members: [String: JSONValue] = [
            "device": .string(device), "patient": .string(patient), "seq": .number(Double(seq)),
            "ts": .string(tsString), "kind": .string(kind.rawValue), "value": value, "unit": .string(kind.unit),
        ]
        if let mac { members["mac"] = .string(Hex.encode(mac)) }
        if let samples { members["samples"] = .array(samples) }
        if let absent { members["absent"] = .string(absent.rawValue) }
        if let pleth { members["pleth"] = .number(pleth) }
        return members
    }

    /// The reading's RFC 8785 form, written member by member (the names
    /// sort as absent, device, kind, mac, patient, pleth, samples, seq, ts,
    /// unit, value),
    /// and where `,"mac":"…"` lies in it: the bytes around that range are
    /// the MAC's input, so one serialization serves the output and the MAC.
    public func canonicalForm() -> (bytes: [UInt8], macMember: Range<Int>?) {
        var bytes: [UInt8] = []
        let macMember = appendCanonicalForm(to: &bytes)
        return (bytes, macMember)
    }

    /// `canonicalForm` appended to `out` (a signer's reused buffer), and
    /// where the mac member lies in `out`.
    @discardableResult
    func appendCanonicalForm(to out: inout [UInt8]) -> Range<Int>? {
        typealias Span = OutputSpan<UInt8>
        // Parsing held the value to its kind's shape, so each shape is
        // written here directly; `other` is only a safety net.
        enum Value { case number(Double), pressure(systolic: Double, diastolic: Double?), text(String), flag(Bool), other([UInt8]) }
        let shaped: Value
        var bound = 0
        switch value {
        case .number(let n): shaped = .number(n)
        case .string(let s): shaped = .text(s); bound = Span.jsonStringBound(s.utf8.count)
        case .bool(let b): shaped = .flag(b)
        case .object(let members):
            var systolic: Double?, diastolic: Double??
            for (key, member) in members {
                if key == "systolic" {
                    systolic = member.numberValue
                } else if key == "diastolic" {
                    // Null (the monitor gave none) is the shape too; another non-number is not.
                    if case .null = member { diastolic = .some(nil) } else if let n = member.numberValue { diastolic = .some(n) }
                }
            }
            if members.count == 2, let systolic, let diastolic {
                shaped = .pressure(systolic: systolic, diastolic: diastolic)
            } else {
                shaped = .other(value.canonicalBytes())
            }
        default: shaped = .other(value.canonicalBytes())
        }
        if case .other(let bytes) = shaped { bound = bytes.count }
        let numbers = samples?.compactMap(\.numberValue)
        let sampleText: [UInt8]? = if let samples, numbers?.count != samples.count { JSONValue.array(samples).canonicalBytes() } else { nil }
        // The literal names and brackets (a blood pressure's and the
        // samples' too), the mac, seq and ts take at most 215 bytes, and
        // with two numbers under 320; every other piece adds its own bound.
        bound += 320 + Span.jsonStringBound(device.utf8.count) + Span.jsonStringBound(patient.utf8.count)
            + Span.jsonStringBound(kind.rawValue.utf8.count) + Span.jsonStringBound(kind.unit.utf8.count)
            + (numbers?.count ?? 0) * (Span.numberBound + 1) + (sampleText?.count ?? 0)
            + 24 + Span.numberBound
        var macMember: Range<Int>?
        let base = out.count
        out.append(addingCapacity: bound) { span in
            if let absent {
                span.append("{\"absent\":")
                span.appendJSONString(absent.rawValue)
                span.append(",\"device\":")
            } else {
                span.append("{\"device\":")
            }
            span.appendJSONString(device)
            span.append(",\"kind\":")
            span.appendJSONString(kind.rawValue)
            if let macCode {
                let start = span.count
                span.append(",\"mac\":\"")
                withUnsafeBytes(of: macCode) { span.appendHex($0) }
                span.append("\"")
                macMember = (base + start)..<(base + span.count)
            }
            span.append(",\"patient\":")
            span.appendJSONString(patient)
            if let pleth {
                span.append(",\"pleth\":")
                span.appendNumber(pleth)
            }
            if let sampleText {
                span.append(",\"samples\":")
                sampleText.withUnsafeBufferPointer { span.append($0) }
            } else if let numbers {
                span.append(",\"samples\":[")
                for (i, n) in numbers.enumerated() {
                    if i > 0 { span.append(UInt8(ascii: ",")) }
                    span.appendNumber(n)
                }
                span.append(UInt8(ascii: "]"))
            }
            span.append(",\"seq\":")
            span.appendInteger(seq)
            span.append(",\"ts\":\"")
            withUnsafeBytes(of: tsText) { span.append(UnsafeRawBufferPointer(rebasing: $0.prefix(Timestamp.textLength))) }
            span.append("\",\"unit\":")
            span.appendJSONString(kind.unit)
            span.append(",\"value\":")
            switch shaped {
            case .number(let n): span.appendNumber(n)
            case let .pressure(systolic, diastolic):
                span.append("{\"diastolic\":")
                if let diastolic { span.appendNumber(diastolic) } else { span.append("null") }
                span.append(",\"systolic\":")
                span.appendNumber(systolic)
                span.append(UInt8(ascii: "}"))
            case .text(let s): span.appendJSONString(s)
            case .flag(let b): span.append(b ? "true" : "false")
            case .other(let bytes): bytes.withUnsafeBufferPointer { span.append($0) }
            }
            span.append(UInt8(ascii: "}"))
        }
        return macMember
    }

    static func checkValue(_ value: JSONValue, kind: ReadingKind) throws(RecordError) {
        switch kind {
        case .bloodPressure:
            // A diastolic the monitor could not give is null (the systolic,
            // which NEWS2 scores, stands alone); it is never left out, so a
            // reading has one spelling.
            let systolic: Double, diastolic: Double?
            do {
                let bp = try RecordFields(value, allowed: Self.pressureFields)
                systolic = try bp.number("systolic")
                diastolic = try bp.value("diastolic") == .null ? nil : try bp.number("diastolic")
            } catch {
                throw error.nested(in: "value")
            }
            guard ReadingKind.systolicRange.contains(systolic) else {
                throw RecordError(.range, field: "value.systolic", "\(JCS.serialize(number: systolic)) mm[Hg] is not physically possible")
            }
            guard let diastolic else { return }
            guard ReadingKind.diastolicRange.contains(diastolic) else {
                throw RecordError(.range, field: "value.diastolic", "\(JCS.serialize(number: diastolic)) mm[Hg] is not physically possible")
            }
            guard diastolic < systolic else {
                throw RecordError(.range, field: "value.diastolic", "diastolic \(JCS.serialize(number: diastolic)) is not below systolic \(JCS.serialize(number: systolic))")
            }
        case .consciousness:
            guard let level = value.stringValue, ReadingKind.consciousnessLevels.contains(level) else {
                throw RecordError(.range, field: "value", "consciousness is one ACVPU letter: A, C, V, P or U")
            }
        case .oxygen:
            guard value.boolValue != nil else {
                throw RecordError(.range, field: "value", "oxygen is true (on supplemental oxygen) or false (air)")
            }
        default:
            guard let n = value.numberValue else {
                throw RecordError(field: "value", "expected a number, got \(value.typeName)")
            }
            if let range = kind.possibleRange, !range.contains(n) {
                throw RecordError(.range, field: "value", "\(kind.rawValue) \(JCS.serialize(number: n)) \(kind.unit) is not physically possible (\(JCS.serialize(number: range.lowerBound))...\(JCS.serialize(number: range.upperBound)))")
            }
        }
    }

    public func hasValidMAC(key: [UInt8]) -> Bool {
        guard let macCode else { return false }
        return DeviceMAC.matches(macCode, canonicalForm(), key: HMACSHA256Key(key: key))
    }

    /// The reading with `mac` computed under the device key (replacing any old one).
    public func authenticated(key: [UInt8]) -> JSONValue {
        var members = object
        members["mac"] = .string(Hex.encode(DeviceMAC.compute(object, key: key)))
        return .object(members)
    }

    /// A numeric view of the value for rules and filters (systolic for BP).
    public var primaryNumber: Double? {
        kind == .bloodPressure ? value.systolic : value.numberValue
    }
}

extension JSONValue {
    /// A blood pressure's systolic number, found by walking its two members,
    /// which costs less than hashing the key (the gateway asks per reading).
    var systolic: Double? {
        guard case .object(let members) = self else { return nil }
        for (key, member) in members where key == "systolic" { return member.numberValue }
        return nil
    }
}
