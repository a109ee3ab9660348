/// A patient's baselines in fixed slots, one per reading kind, instead of a
/// dictionary: ehx-ingest reads and updates one per reading.
struct PatientBaselines: Sendable {
    /// Bit `slot` set: the kind has a baseline (possibly with n = 0, from a state file).
    private(set) var present: UInt8 = 0
    private var n = SIMD8<Int>(repeating: 0)
    private var mean = SIMD8<Double>(repeating: 0)
    private var variance = SIMD8<Double>(repeating: 0)
    private var admissionN = SIMD8<Int>(repeating: 0)
    private var admissionMean = SIMD8<Double>(repeating: 0)
    private var admissionM2 = SIMD8<Double>(repeating: 0)
    private var cusumHigh = SIMD8<Double>(repeating: 0)
    private var cusumLow = SIMD8<Double>(repeating: 0)
    private var latched = SIMD8<UInt8>(repeating: 0)

    // Inlined: on a struct this size, an accessor call copies all of it first.
    subscript(_ kind: ReadingKind) -> Baseline? {
        @inline(__always) get {
            let slot = kind.slot
            guard present & (1 << slot) != 0 else { return nil }
            var b = Baseline(n: n[slot], mean: mean[slot], variance: variance[slot])
            b.admissionN = admissionN[slot]; b.admissionMean = admissionMean[slot]; b.admissionM2 = admissionM2[slot]
            b.cusumHigh = cusumHigh[slot]; b.cusumLow = cusumLow[slot]; b.latched = latched[slot]
            return b
        }
        set {
            let slot = kind.slot
            guard let newValue else {
                present &= ~(1 << slot)
                n[slot] = 0; mean[slot] = 0; variance[slot] = 0
                admissionN[slot] = 0; admissionMean[slot] = 0; admissionM2[slot] = 0
                cusumHigh[slot] = 0; cusumLow[slot] = 0; latched[slot] = 0
                return
            }
            present |= 1 << slot
            n[slot] = newValue.n; mean[slot] = newValue.mean; variance[slot] = newValue.variance
            admissionN[slot] = newValue.admissionN; admissionMean[slot] = newValue.admissionMean; admissionM2[slot] = newValue.admissionM2
            cusumHigh[slot] = newValue.cusumHigh; cusumLow[slot] = newValue.cusumLow; latched[slot] = newValue.latched
        }
    }
}

extension ReadingKind {
    /// The kind's index in `allCases`.
    var slot: Int {
        switch self {
        case .heartRate: return 0
        case .temperature: return 1
        case .spo2: return 2
        case .respRate: return 3
        case .bloodPressure: return 4
        case .emg: return 5
        case .consciousness: return 6
        case .oxygen: return 7
        }
    }
}
