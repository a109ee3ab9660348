/// Readings on the chain as FHIR R4 Observations in a `collection` Bundle
/// (`ehx-query fhir`), following the R4 vital-signs profiles: LOINC codes,
/// UCUM units, category `vital-signs`, BP as components, SpO2 coded with
/// both 2708-6 and 59408-5. Each Observation's `id` and `identifier`
/// (system `urn:ehx:txid`) are the txid, and `meta.tag` (system
/// `urn:ehx:block`) carries the hash of the block that holds it. A reading
/// recorded as absent carries `dataAbsentReason`; an alert becomes a
/// RiskAssessment and, when it holds the aggregate, an Observation of the
/// NEWS2 total (SNOMED CT 1104051000000101), labelled when partial.
public enum FHIRExport {
    public static let loinc = "http://loinc.org"
    public static let ucum = "http://unitsofmeasure.org"
    public static let categorySystem = "http://terminology.hl7.org/CodeSystem/observation-category"
    public static let vitalSignsProfile = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
    public static let absentSystem = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
    public static let txidSystem = "urn:ehx:txid"
    public static let blockSystem = "urn:ehx:block"
    public static let kindSystem = "urn:ehx:kind"
    public static let acvpuSystem = "urn:ehx:acvpu"
    public static let snomed = "http://snomed.info/sct"
    public static let news2Code = "1104051000000101"
    public static let riskSystem = "urn:ehx:news2-risk"

    static func coding(_ system: String, _ code: String, _ display: String) -> JSONValue {
        ["system": .string(system), "code": .string(code), "display": .string(display)]
    }

    /// `code` of the Observation for a kind.
    static func code(_ kind: ReadingKind) -> JSONValue {
        let codings: [JSONValue]
        let text: String
        switch kind {
        case .heartRate: codings = [coding(loinc, "8867-4", "Heart rate")]; text = "Heart rate"
        case .temperature: codings = [coding(loinc, "8310-5", "Body temperature")]; text = "Body temperature"
        case .spo2:
            codings = [coding(loinc, "2708-6", "Oxygen saturation in Arterial blood"),
                       coding(loinc, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")]
            text = "Oxygen saturation"
        case .respRate: codings = [coding(loinc, "9279-1", "Respiratory rate")]; text = "Respiratory rate"
        case .bloodPressure:
            codings = [coding(loinc, "85354-9", "Blood pressure panel with all children optional")]
            text = "Blood pressure"
        // The electrode (surface or needle) is not recorded, so not claimed.
        case .emg: codings = [coding(kindSystem, "emg", "EMG, RMS over the window")]; text = "EMG"
        case .consciousness:
            codings = [coding(kindSystem, "consciousness", "Level of consciousness (ACVPU)")]
            text = "Level of consciousness (ACVPU)"
        case .oxygen: codings = [coding(kindSystem, "oxygen", "On supplemental oxygen")]; text = "Supplemental oxygen"
        }
        return ["coding": .array(codings), "text": .string(text)]
    }

    /// The kinds the R4 vital-signs profiles cover.
    public static func isVitalSign(_ kind: ReadingKind) -> Bool {
        [.heartRate, .temperature, .spo2, .respRate, .bloodPressure].contains(kind)
    }

    static func category(_ kind: ReadingKind) -> JSONValue {
        let (code, display): (String, String)
        switch kind {
        case .heartRate, .temperature, .spo2, .respRate, .bloodPressure: (code, display) = ("vital-signs", "Vital Signs")
        case .oxygen: (code, display) = ("therapy", "Therapy")
        case .emg, .consciousness: (code, display) = ("exam", "Exam")
        }
        return ["coding": [coding(categorySystem, code, display)]]
    }

    /// UCUM quantity; `unit` is the human label the R4 examples use.
    static func quantity(_ value: JSONValue, code: String) -> JSONValue {
        let label: String
        switch code {
        case "/min": label = "/min"
        case "Cel": label = "C"
        case "mm[Hg]": label = "mmHg"
        default: label = code
        }
        return ["value": value, "unit": .string(label), "system": .string(ucum), "code": .string(code)]
    }

    /// A FHIR reference when the text is a valid FHIR id, else a logical
    /// reference by identifier (pseudonyms need not fit the id syntax).
    static func reference(_ type: String, _ id: String, system: String) -> JSONValue {
        let ok = !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x2e
        }
        if ok { return ["reference": .string("\(type)/\(id)")] }
        return ["type": .string(type), "identifier": ["system": .string(system), "value": .string(id)]]
    }

    /// The Observation for a reading transaction, or nil when the
    /// transaction is not a plain reading (another type, or a sealed body).
    /// EMG samples become `valueSampledData` only with `emgPeriodMs` (ehx
    /// records no sample rate, and a guessed one would misdate every sample).
    public static func observation(_ tx: Transaction, height: Int64, blockHash: SHA256Digest,
                                   emgPeriodMs: Double? = nil) -> JSONValue? {
        guard tx.type == .reading, let reading = tx.readBody ?? (try? SensorReading(parsing: tx.body)) else { return nil }
        let kind = reading.kind
        var meta: [String: JSONValue] = [
            "tag": [["system": .string(blockSystem), "code": .string(blockHash.displayHex), "display": .string("ehx block \(height)")]],
        ]
        if isVitalSign(kind) {
            meta["profile"] = [.string(vitalSignsProfile)]
        }
        var obs: [String: JSONValue] = [
            "resourceType": "Observation",
            "id": .string(tx.txid.hex),
            "meta": .object(meta),
            "identifier": [["system": .string(txidSystem), "value": .string(tx.txid.hex)]],
            "status": "final",
            "category": [category(kind)],
            "code": code(kind),
            "subject": reference("Patient", reading.patient, system: "urn:ehx:patient"),
            "device": reference("Device", reading.device, system: "urn:ehx:device"),
            "effectiveDateTime": .string(reading.ts.description),
        ]
        if let absent = reading.absent {
            obs["dataAbsentReason"] = absentReason(absent)
            return .object(obs)
        }
        switch kind {
        case .bloodPressure:
            func component(_ key: String, _ loincCode: String, _ display: String) -> JSONValue {
                var c: [String: JSONValue] = ["code": ["coding": [coding(loinc, loincCode, display)], "text": .string(display)]]
                if let v = reading.value[key], v.numberValue != nil {
                    c["valueQuantity"] = quantity(v, code: "mm[Hg]")
                } else {
                    c["dataAbsentReason"] = ["coding": [coding(absentSystem, "unknown", "Unknown")]]
                }
                return .object(c)
            }
            obs["component"] = [component("systolic", "8480-6", "Systolic blood pressure"),
                                component("diastolic", "8462-4", "Diastolic blood pressure")]
        case .consciousness:
            let level = reading.value.stringValue ?? ""
            let names = ["A": "Alert", "C": "New confusion", "V": "Responds to voice", "P": "Responds to pain", "U": "Unresponsive"]
            obs["valueCodeableConcept"] = ["coding": [coding(acvpuSystem, level, names[level] ?? level)], "text": .string(level)]
        case .oxygen:
            obs["valueBoolean"] = reading.value
        case .emg:
            if let samples = reading.samples, !samples.isEmpty, let emgPeriodMs {
                let data = samples.compactMap(\.numberValue).map { JCS.serialize(number: $0) }.joined(separator: " ")
                obs["valueSampledData"] = [
                    "origin": quantity(0, code: "mV"),
                    "period": .number(emgPeriodMs),
                    "dimensions": 1,
                    "data": .string(data),
                ]
                obs["component"] = [[
                    "code": ["coding": [coding(kindSystem, "emg-rms", "EMG RMS over the window")], "text": "EMG RMS"],
                    "valueQuantity": quantity(reading.value, code: "mV"),
                ]]
            } else {
                obs["valueQuantity"] = quantity(reading.value, code: "mV")
            }
        default:
            obs["valueQuantity"] = quantity(reading.value, code: kind.unit)
        }
        return .object(obs)
    }

    /// An absent reading's reason: the monitor had no value to give, which
    /// HL7's data-absent-reason calls `error` (a system could not supply it).
    static func absentReason(_ why: SensorReading.AbsentReason) -> JSONValue {
        let text = why == .leadsOff ? "ECG leads off (the monitor reported 0)" : "No signal (the monitor reported 0)"
        return ["coding": [coding(absentSystem, "error", "Error")], "text": .string(text)]
    }

    /// An alert's resources: a RiskAssessment (the level, its reasons, the
    /// rules that fired) and, when the alert holds the aggregate, the NEWS2
    /// total as an Observation. Each with its `fullUrl`. Empty when the
    /// transaction is not a plain alert.
    public static func alertResources(_ tx: Transaction, height: Int64, blockHash: SHA256Digest) -> [(resource: JSONValue, fullUrl: String)] {
        guard tx.type == .alert, let alert = try? Alert(parsing: tx.body) else { return [] }
        let tag: JSONValue = [["system": .string(blockSystem), "code": .string(blockHash.displayHex), "display": .string("ehx block \(height)")]]
        let identifier: JSONValue = [["system": .string(txidSystem), "value": .string(tx.txid.hex)]]
        let subject = reference("Patient", alert.patient, system: "urn:ehx:patient")
        let partial = alert.partial == true || (alert.news2?["partial"]?.boolValue == true)
        let missing = (alert.news2?["missing"]?.arrayValue ?? []).compactMap(\.stringValue)
        let partialText = "partial: \(missing.count) of 7 parameters missing (\(missing.joined(separator: ", "))); the total is a floor"
        var risk: [String: JSONValue] = [
            "resourceType": "RiskAssessment",
            "id": .string(tx.txid.hex),
            "meta": ["tag": tag],
            "identifier": identifier,
            "status": "final",
            "subject": subject,
            "occurrenceDateTime": .string(alert.ts.description),
            "method": ["text": "NEWS2 (Royal College of Physicians, 2017) and the ehx-ingest rules"],
            "prediction": [[
                "qualitativeRisk": [
                    "coding": [coding(riskSystem, alert.level.rawValue, alert.level.rawValue)],
                    "text": .string(alert.level.rawValue + (partial ? " (\(partialText))" : "")),
                ],
                "rationale": .string(alert.reasons.joined(separator: "; ")),
            ]],
        ]
        var notes: [JSONValue] = []
        if alert.artefact == true { notes.append(["text": "Suspected artefact: the reading may not be the patient's."]) }
        if partial { notes.append(["text": .string("NEWS2 aggregate is " + partialText + ".")]) }
        if !notes.isEmpty { risk["note"] = .array(notes) }
        var out: [(JSONValue, String)] = [(.object(risk), uuid(tx.txid))]
        if let total = alert.news2?["score"]?.integerValue {
            var obs: [String: JSONValue] = [
                "resourceType": "Observation",
                "id": .string("news2-" + tx.txid.hex.prefix(58)),
                "meta": ["tag": tag],
                "identifier": identifier,
                "status": "final",
                "category": [["coding": [coding(categorySystem, "survey", "Survey")]]],
                "code": ["coding": [coding(snomed, news2Code, "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score")],
                         "text": "NEWS2 total score"],
                "subject": subject,
                "effectiveDateTime": .string(alert.ts.description),
                "valueInteger": .number(Double(total)),
                "interpretation": [["coding": [coding(riskSystem, alert.level.rawValue, alert.level.rawValue)],
                                    "text": .string("clinical risk " + alert.level.rawValue + (partial ? ", partial" : ""))]],
            ]
            if partial { obs["note"] = [["text": .string("Partial NEWS2 aggregate: " + partialText + ".")]] }
            out.append((.object(obs), uuid(SHA256.hash(tx.txid.bytes + Array("news2".utf8)))))
        }
        return out.map { (resource: $0.0, fullUrl: $0.1) }
    }

    /// A stable urn:uuid for a txid: its first 16 bytes with the RFC 9562
    /// version 8 (custom) and variant bits set.
    public static func uuid(_ txid: SHA256Digest) -> String {
        var b = Array(txid.bytes.prefix(16))
        b[6] = (b[6] & 0x0f) | 0x80
        b[8] = (b[8] & 0x3f) | 0x80
        let h = Hex.encode(b)
        let c = Array(h)
        return "urn:uuid:" + String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

/// Writes a Bundle as it goes, one entry a line, so a whole chain never has
/// to fit in memory: `{"entry":[` / `{entry}` / `,{entry}` … /
/// `],"resourceType":"Bundle","timestamp":…,"type":"collection"}`. Keys
/// come in RFC 8785 order; FHIR forbids an empty array, so a bundle with
/// no entries has no `entry`.
public final class FHIRBundleWriter {
    private let output: LineWriter
    public private(set) var entries = 0

    public init(output: LineWriter) {
        self.output = output
    }

    public func add(_ resource: JSONValue, fullUrl: String) throws(ToolError) {
        let entry: JSONValue = ["fullUrl": .string(fullUrl), "resource": resource]
        if entries == 0 { try output.write(text: #"{"entry":["#) }
        let bytes = entry.canonicalBytes()
        try output.write(line: entries == 0 ? bytes : [0x2c] + bytes)
        entries += 1
    }

    public func finish(timestamp: Timestamp) throws(ToolError) {
        let tail = #""resourceType":"Bundle","timestamp":"# + JSONValue.string(timestamp.description).canonicalString + #","type":"collection"}"#
        try output.write(text: entries == 0 ? "{" + tail : "]," + tail)
        try output.close()
    }
}
