/// FHIR R4 vital-sign Observations as ehx readings (`ehx-ingest --from fhir`).
/// LOINC codes pick the kind; UCUM units are converted to the kind's unit;
/// `subject` and `device` references become patient and device; the kinds
/// LOINC has no vital-sign code for are read as ehx's own export codes
/// them (`urn:ehx:kind`), so an export reads back whole. FHIR carries
/// no device MAC, so imported readings have none; their `seq` is derived from
/// the time (see `ImportedReading.seq`), so importing a file twice is a replay.
public enum FHIRObservation {
    public static let loinc = "http://loinc.org"
    public static let kindsByLOINC: [String: ReadingKind] = [
        "8867-4": .heartRate, "8310-5": .temperature, "59408-5": .spo2, "2708-6": .spo2,
        "9279-1": .respRate, "85354-9": .bloodPressure,
    ]
    /// The kinds LOINC has no vital-sign code for, as ehx's own export
    /// codes them (`FHIRExport.kindSystem`), so an export reads back whole.
    public static let kindsByEHXCode: [String: ReadingKind] = [
        "emg": .emg, "consciousness": .consciousness, "oxygen": .oxygen,
    ]

    /// A NEWS2 total (SNOMED CT, as ehx's export writes beside each alert)
    /// is a score derived from readings, not a measurement: an import skips
    /// it like any resource that is not a vital sign, so an export reads
    /// back as exactly its readings.
    public static func isDerivedScore(_ resource: JSONValue) -> Bool {
        (resource["code"]?["coding"]?.arrayValue ?? []).contains {
            $0["system"]?.stringValue == "http://snomed.info/sct" && $0["code"]?.stringValue == FHIRExport.news2Code
        }
    }

    /// The reading objects in one resource: an Observation gives one; a
    /// Bundle is handled by the caller entry by entry.
    public static func reading(_ resource: JSONValue, defaultDevice: String?, defaultPatient: String?) throws(RecordError) -> JSONValue {
        guard resource.objectValue != nil else { throw RecordError(.fhir, field: nil, "expected a FHIR resource (JSON object), got \(resource.typeName)") }
        guard let type = resource["resourceType"]?.stringValue else { throw RecordError(.fhir, field: "resourceType", "missing") }
        guard type == "Observation" else { throw RecordError(.fhir, field: "resourceType", "\(type) is not an Observation") }
        if let status = resource["status"]?.stringValue, ["entered-in-error", "cancelled"].contains(status) {
            throw RecordError(.fhir, field: "status", "\(status): not a measurement")
        }
        let codings = resource["code"]?["coding"]?.arrayValue ?? []
        let codes = codings.filter { $0["system"]?.stringValue == loinc }.compactMap { $0["code"]?.stringValue }
        let ehxCodes = codings.filter { $0["system"]?.stringValue == FHIRExport.kindSystem }.compactMap { $0["code"]?.stringValue }
        guard let kind = codes.lazy.compactMap({ kindsByLOINC[$0] }).first ?? ehxCodes.lazy.compactMap({ kindsByEHXCode[$0] }).first else {
            let shown = codes.isEmpty ? "no LOINC code" : "LOINC \(codes.joined(separator: ", "))"
            throw RecordError(.fhir, field: "code", "\(shown): not a vital sign ehx records (heart rate 8867-4, temperature 8310-5, SpO2 59408-5/2708-6, respiratory rate 9279-1, BP 85354-9)")
        }
        let ts = try time(resource)
        let patient = try subject(resource) ?? defaultPatient
        guard let patient else { throw RecordError(field: "subject", "missing (no patient reference; give --patient)") }
        var device = defaultDevice
        if let ref = resource["device"]?["reference"]?.stringValue {
            device = ref.hasPrefix("Device/") ? String(ref.dropFirst(7)) : ref
        } else if let id = resource["device"]?["identifier"]?["value"]?.stringValue {
            // ehx's own export names a device by identifier when its id is no FHIR id.
            device = id
        }
        guard let device else { throw RecordError(field: "device", "missing (no device reference; give --device)") }

        let value: JSONValue
        var samples: [JSONValue]?
        if let absent = resource["dataAbsentReason"], kind != .bloodPressure {
            throw RecordError(.absent, field: "dataAbsentReason", "no value (\(reasonCode(absent)))")
        }
        if kind == .bloodPressure {
            // A diastolic with a dataAbsentReason keeps its systolic, which
            // NEWS2 scores alone: the reading's diastolic is null. A
            // systolic without a value leaves nothing to record.
            var parts: [String: JSONValue] = [:]
            for (i, c) in (resource["component"]?.arrayValue ?? []).enumerated() {
                let cc = (c["code"]?["coding"]?.arrayValue ?? []).filter { $0["system"]?.stringValue == loinc }.compactMap { $0["code"]?.stringValue }
                let name = cc.contains("8480-6") ? "systolic" : cc.contains("8462-4") ? "diastolic" : nil
                guard let name else { continue }
                if let absent = c["dataAbsentReason"], c["valueQuantity"] == nil {
                    guard name == "diastolic" else {
                        throw RecordError(.absent, field: "component[\(i)]", "\(name) has no value (dataAbsentReason \(reasonCode(absent)))")
                    }
                    parts[name] = .null
                    continue
                }
                do throws(RecordError) {
                    parts[name] = .number(try quantity(c, kind: .bloodPressure))
                } catch {
                    throw error.nested(in: "component[\(i)]")
                }
            }
            guard let s = parts["systolic"], let d = parts["diastolic"] else {
                throw RecordError(field: "component", "a blood pressure needs systolic (8480-6) and diastolic (8462-4) components (the diastolic may carry a dataAbsentReason)")
            }
            value = ["systolic": s, "diastolic": d]
        } else if kind == .consciousness {
            let level = resource["valueCodeableConcept"]?["coding"]?.arrayValue?.first?["code"]?.stringValue
                ?? resource["valueCodeableConcept"]?["text"]?.stringValue
            guard let level else { throw RecordError(field: "valueCodeableConcept", "missing (an ACVPU letter)") }
            value = .string(level)
        } else if kind == .oxygen {
            guard let flag = resource["valueBoolean"]?.boolValue else { throw RecordError(field: "valueBoolean", "missing (true on supplemental oxygen)") }
            value = .bool(flag)
        } else if kind == .emg, resource["valueQuantity"] == nil, let rms = resource["component"]?.arrayValue?.first {
            // ehx's export: the RMS as a component, the samples as valueSampledData.
            do throws(RecordError) { value = .number(try quantity(rms, kind: kind)) } catch { throw error.nested(in: "component[0]") }
            if let data = resource["valueSampledData"]?["data"]?.stringValue {
                var parsed: [JSONValue] = []
                for word in data.split(separator: " ") {
                    guard let n = Double(word), n.isFinite else { throw RecordError(field: "valueSampledData.data", "\"\(word)\" is not a number") }
                    parsed.append(.number(n))
                }
                samples = parsed
            }
        } else {
            value = .number(try quantity(resource, kind: kind))
        }
        return ImportedReading.object(device: device, patient: patient, ts: ts, kind: kind, value: value, samples: samples)
    }

    static func reasonCode(_ absent: JSONValue) -> String {
        absent["coding"]?.arrayValue?.first?["code"]?.stringValue ?? absent["text"]?.stringValue ?? "given"
    }

    /// valueQuantity in the kind's unit.
    static func quantity(_ holder: JSONValue, kind: ReadingKind) throws(RecordError) -> Double {
        guard let q = holder["valueQuantity"] else {
            throw RecordError(field: "valueQuantity", "missing (no value and no dataAbsentReason)")
        }
        guard let v = q["value"]?.numberValue else { throw RecordError(field: "valueQuantity.value", "expected a number") }
        let code = q["code"]?.stringValue ?? q["unit"]?.stringValue ?? ""
        guard let converted = UnitConversion.convert(v, from: code, to: kind) else {
            throw RecordError(.unit, field: "valueQuantity.code", "unit \"\(code)\" cannot be read as \(kind.rawValue) (\(kind.unit))")
        }
        return converted
    }

    static func time(_ resource: JSONValue) throws(RecordError) -> Timestamp {
        let text = resource["effectiveDateTime"]?.stringValue ?? resource["effectiveInstant"]?.stringValue
            ?? resource["effectivePeriod"]?["start"]?.stringValue
        guard let text else { throw RecordError(field: "effectiveDateTime", "missing (no effective time)") }
        guard let ts = LooseTime.parse(text) else {
            throw RecordError(field: "effectiveDateTime", "\"\(text)\" is not a FHIR dateTime")
        }
        return ts
    }

    /// "Patient/23", ".../Patient/23/_history/2" → "23"; other references and
    /// identifiers are kept whole ("urn:uuid:…", "system|value").
    static func subject(_ resource: JSONValue) throws(RecordError) -> String? {
        guard let subject = resource["subject"] else { return nil }
        var id: String
        if let ref = subject["reference"]?.stringValue {
            id = ref
            if let r = id.firstRange(of: "/_history/") { id = String(id[..<r.lowerBound]) }
            if id.hasPrefix("Patient/") { id = String(id.dropFirst(8)) }
        } else if let value = subject["identifier"]?["value"]?.stringValue {
            id = (subject["identifier"]?["system"]?.stringValue).map { "\($0)|\(value)" } ?? value
        } else {
            throw RecordError(field: "subject", "neither a reference nor an identifier")
        }
        guard !id.isEmpty, id.utf8.count <= 128 else { throw RecordError(field: "subject", "patient id must be 1 to 128 bytes") }
        return id
    }
}

/// Unit conversions into each kind's UCUM unit.
public enum UnitConversion {
    public static func convert(_ v: Double, from code: String, to kind: ReadingKind) -> Double? {
        switch (kind, code) {
        case (.temperature, "Cel"), (.temperature, "°C"), (.temperature, "C"): return v
        case (.temperature, "[degF]"), (.temperature, "°F"), (.temperature, "F"):
            return ((v - 32) * 5 / 9 * 1000).rounded() / 1000
        case (.temperature, "K"): return ((v - 273.15) * 1000).rounded() / 1000
        case (.heartRate, "/min"), (.heartRate, "{beats}/min"), (.heartRate, "beats/minute"), (.heartRate, "bpm"),
             (.respRate, "/min"), (.respRate, "{breaths}/min"), (.respRate, "breaths/minute"):
            return v
        case (.spo2, "%"): return v
        case (.bloodPressure, "mm[Hg]"), (.bloodPressure, "mmHg"): return v
        case (.bloodPressure, "kPa"): return (v * 7.500_616_827 * 10).rounded() / 10
        case (.emg, "mV"): return v
        default: return nil
        }
    }
}

/// Readings made from records that carry no seq or MAC (FHIR, CSV).
public enum ImportedReading {
    /// seq = milliseconds since 1970 × 8 + the kind's index: it rises with
    /// time, differs per kind at one instant, and is the same when the same
    /// record is imported again (which is then refused as a replay).
    public static func seq(ts: Timestamp, kind: ReadingKind) -> Int64 {
        ts.millisecondsSince1970 * 8 + Int64(ReadingKind.allCases.firstIndex(of: kind) ?? 0)
    }

    public static func object(device: String, patient: String, ts: Timestamp, kind: ReadingKind, value: JSONValue,
                              samples: [JSONValue]? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "device": .string(device), "patient": .string(patient), "seq": .number(Double(seq(ts: ts, kind: kind))),
            "ts": .string(ts.description), "kind": .string(kind.rawValue), "value": value, "unit": .string(kind.unit),
        ]
        if let samples { members["samples"] = .array(samples) }
        return .object(members)
    }
}

/// Date-times as other systems write them: FHIR dateTime (a date alone is
/// midnight UTC; a zone offset is applied; fractions beyond milliseconds are
/// truncated) and monitor exports without a zone (read as UTC).
public enum LooseTime {
    public static func parse(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count else { return nil }
            var n = 0
            for i in r { guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }; n = n * 10 + Int(b[i] - 0x30) }
            return n
        }
        guard b.count >= 10, b[4] == 0x2d, b[7] == 0x2d, let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10) else { return nil }
        var h = 0, mi = 0, s = 0, ms = 0, offsetMinutes = 0
        var i = 10
        if i < b.count {
            guard b[i] == 0x54 || b[i] == 0x20, b.count >= 16, let hh = num(11..<13), b[13] == 0x3a, let mm = num(14..<16) else { return nil }
            h = hh; mi = mm; i = 16
            if i < b.count, b[i] == 0x3a {
                guard let ss = num(17..<19) else { return nil }
                s = ss; i = 19
                if i < b.count, b[i] == 0x2e {
                    i += 1
                    var digits = 0
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        if digits < 3 { ms = ms * 10 + Int(b[i] - 0x30) }
                        digits += 1; i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<max(digits, 3) { ms *= 10 }
                }
            }
            if i < b.count {
                if b[i] == 0x5a, i + 1 == b.count {
                    i += 1
                } else if b[i] == 0x2b || b[i] == 0x2d, b.count == i + 6, b[i + 3] == 0x3a,
                          let oh = num(i + 1..<i + 3), let om = num(i + 4..<i + 6), oh < 24, om < 60 {
                    offsetMinutes = (oh * 60 + om) * (b[i] == 0x2b ? 1 : -1)
                    i += 6
                } else {
                    return nil
                }
            }
        }
        guard i == b.count || b.count == 10 else { return nil }
        guard (1970...9998).contains(y), (1...12).contains(mo), d >= 1, d <= Timestamp.daysIn(month: mo, year: y),
              h < 24, mi < 60, s < 60 else { return nil }
        let days = Int64(Timestamp.daysFromCivil(year: y, month: mo, day: d))
        let seconds = days * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offsetMinutes * 60)
        return Timestamp(millisecondsSince1970: seconds * 1000 + Int64(ms))
    }
}
