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

    private let buffers: [Buffer]

    init(workers: Int) {
        buffers = (0..<max(1, workers)).map { _ in Buffer() }
    }

    func buffer(worker: Int) -> Buffer? {
        buffers.indices.contains(worker) ? buffers[worker] : nil
    }

    func clear() {
        for buffer in buffers { buffer.bytes.removeAll(keepingCapacity: true) }
    }
}
