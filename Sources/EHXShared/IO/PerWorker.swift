/// One value per worker of a `ParallelStage` (a signer with its reused
/// context and buffers), made up front: worker w only ever uses value w,
/// so no value is shared between threads.
public final class PerWorker<Value>: @unchecked Sendable {
    private let values: [Value]

    public init(workers: Int, _ make: () -> Value) {
        values = (0..<max(1, workers)).map { _ in make() }
    }

    /// Worker `worker`'s value; nil for a worker number out of range (the
    /// caller then takes its slower way, such as signing with the key).
    public subscript(worker: Int) -> Value? {
        values.indices.contains(worker) ? values[worker] : nil
    }

    /// Every worker's value, for work done while no worker runs.
    func forEach(_ body: (Value) -> Void) {
        values.forEach(body)
    }
}
