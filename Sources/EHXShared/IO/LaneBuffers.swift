/// The output buffers of `RecordPipeline`'s lane for one batch: one per
/// worker, each written only by its worker while the batch is staged and
/// read only by the ordered thread after it (the wait between them orders
/// the two), and cleared, keeping their memory, before the set is used
/// for another batch.
final class LaneBuffers: @unchecked Sendable {
    final class Buffer {
        var bytes: [UInt8] = []
    }

    /// A set handed to the workers with the batch it is for.
    struct Batch: Sendable {
        let set: Int
        let buffers: LaneBuffers
    }

    private let buffers: PerWorker<Buffer>

    init(workers: Int) {
        buffers = PerWorker(workers: workers) { Buffer() }
    }

    func buffer(worker: Int) -> Buffer? { buffers[worker] }

    func clear() {
        buffers.forEach { $0.bytes.removeAll(keepingCapacity: true) }
    }
}
