/// The read loop shared by the line-oriented tools: each line is parsed as
/// JSON and handed to the tool; a line the tool refuses goes to the rejects
/// file and to stderr with its line number and reason, and the loop goes
/// on, so good lines before and after a bad one are all handled.
public final class RecordPipeline {
    public struct Counts: Sendable {
        public var records = 0
        public var accepted = 0
        public var rejected = 0
    }

    /// The longest line taken as a record; longer ones are rejected unread
    /// rather than parsed, so a runaway producer cannot exhaust memory twice.
    public static let defaultMaxLineBytes = 1 << 20

    private let reader: LineReader
    private let rejects: RejectLog
    private let maxLineBytes: Int
    public private(set) var counts = Counts()

    public init(input: String, rejects: String?, diagnostics: Diagnostics, maxLineBytes: Int = defaultMaxLineBytes) throws(ToolError) {
        reader = try LineReader(path: input)
        self.rejects = try RejectLog(path: rejects, file: reader.name, diagnostics: diagnostics)
        self.maxLineBytes = maxLineBytes
    }

    public var inputName: String { reader.name }

    /// Runs `handle` on every record. `handle` throws a RecordError (or any
    /// error but ToolError) to reject the line; a ToolError (an output that
    /// cannot be written) stops the run, since going on would lose records.
    /// The tools use `runBatched`; this plain loop is the definition its
    /// tests hold it to, line for line.
    public func run(_ handle: (JSONValue) throws -> Void) throws(ToolError) {
        while let line = try reader.next() {
            var bytes = line.bytes
            if bytes.last == 0x0d { bytes.removeLast() } // CRLF files from other systems
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            counts.records += 1
            if bytes.count > maxLineBytes {
                try reject(line: line.number, bytes: bytes, .tooLong(bytes.count, limit: maxLineBytes))
                continue
            }
            let value: JSONValue
            do { value = try JSONValue.parse(bytes) } catch {
                try reject(line: line.number, bytes: bytes, RejectLog.Refusal(code: .json, reason: error.description))
                continue
            }
            do {
                try handle(value)
                counts.accepted += 1
            } catch let failure as ToolError {
                throw failure
            } catch {
                try reject(line: line.number, bytes: bytes, RejectLog.Refusal(error))
            }
        }
        try rejects.close()
        if counts.records == 0 {
            throw ToolError(.dataErr, "\(reader.name): no input records")
        }
    }

    /// Lines read at once by `runBatched`, and the byte budget that caps a
    /// batch of long lines (the longest line allowed is 1 MiB).
    public static let defaultBatchLines = 4096
    static let maxBatchBytes = 16 << 20

    /// What the parallel stage made of one line.
    enum Staged<Prepared: Sendable>: Sendable {
        case blank
        case tooLong
        case rejected(RejectLog.Refusal)
        case stop(ToolError)
        case ready(Prepared)
    }

    /// `run`, with the order-free work moved to several threads: each batch
    /// of lines is parsed and put through `stage` in parallel, then `finish`
    /// runs on this thread for each line in input order. Counts, rejects
    /// (with their line numbers), messages and the exit status are those of
    /// `run(_:)` with `handle` = `finish(stage(json))`, whatever `threads`.
    ///
    /// `stage` may run for lines after one whose `finish` stops the run with
    /// a ToolError, so it must have no effects (sign, check, serialize);
    /// every effect (writing, depositing, counting) belongs in `finish`.
    /// Its `worker` (0..<threads) picks per-thread caches. `idle` runs
    /// before every read that may wait for input: flush outputs there, for
    /// a reader downstream in a live pipeline. `fresh` runs after each
    /// batch is read and before it is staged, while no worker runs: state
    /// that `stage` reads and that follows the outside world (a sealer's
    /// chain) is brought up to date there, so a line read after a change
    /// is judged under it.
    public func runBatched<Prepared: Sendable>(
        threads: Int, batchLines: Int = defaultBatchLines,
        idle: () throws(ToolError) -> Void = {},
        fresh: () throws(ToolError) -> Void = {},
        stage: @escaping @Sendable (_ json: JSONValue, _ worker: Int) throws -> Prepared,
        finish: (Prepared) throws -> Void
    ) throws(ToolError) {
        let limit = maxLineBytes
        // The workers stage the next batch while this thread finishes the
        // one before (the tools' signing never waits for their writing).
        // Only input already there is read ahead, so a live stream's lines
        // are not held back until more arrive; `fresh` runs between the two,
        // while no worker does.
        var pending: (lines: [LineReader.Line], staged: ParallelStage.Pending<Staged<Prepared>>)?
        defer { _ = pending?.staged.wait() }
        while true {
            if pending == nil {
                try rejects.flush()
                try idle()
            }
            let next = try reader.nextBatch(maxLines: batchLines, maxBytes: Self.maxBatchBytes, waiting: pending == nil)
            let ready = pending.map { ($0.lines, $0.staged.wait()) }
            pending = nil
            if !next.isEmpty {
                try fresh()
                pending = (next, ParallelStage.start(next, threads: threads) { worker, line in
                    Self.stage(Self.trimmed(line.bytes), maxLineBytes: limit) { json throws in try stage(json, worker) }
                })
            }
            guard let (lines, staged) = ready else {
                if pending == nil { break }
                continue
            }
            for (line, outcome) in zip(lines, staged) {
                let bytes = Self.trimmed(line.bytes)
                switch outcome {
                case .blank:
                    continue
                case .tooLong:
                    counts.records += 1
                    try reject(line: line.number, bytes: bytes, .tooLong(bytes.count, limit: maxLineBytes))
                case .rejected(let refusal):
                    counts.records += 1
                    try reject(line: line.number, bytes: bytes, refusal)
                case .stop(let failure):
                    counts.records += 1
                    throw failure
                case .ready(let prepared):
                    counts.records += 1
                    do {
                        try finish(prepared)
                        counts.accepted += 1
                    } catch let failure as ToolError {
                        throw failure
                    } catch {
                        try reject(line: line.number, bytes: bytes, RejectLog.Refusal(error))
                    }
                }
            }
        }
        try rejects.close()
        if counts.records == 0 {
            throw ToolError(.dataErr, "\(reader.name): no input records")
        }
    }

    /// The line as `run` judges it: without a CR from a CRLF file.
    private static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        bytes.last == 0x0d ? Array(bytes.dropLast()) : bytes
    }

    private static func stage<Prepared: Sendable>(
        _ bytes: [UInt8], maxLineBytes: Int, _ stage: (JSONValue) throws -> Prepared
    ) -> Staged<Prepared> {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return .blank }
        if bytes.count > maxLineBytes { return .tooLong }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { return .rejected(RejectLog.Refusal(code: .json, reason: error.description)) }
        do {
            return .ready(try stage(value))
        } catch let failure as ToolError {
            return .stop(failure)
        } catch {
            return .rejected(RejectLog.Refusal(error))
        }
    }

    private func reject(line: Int, bytes: [UInt8], _ refusal: RejectLog.Refusal) throws(ToolError) {
        counts.rejected += 1
        try rejects.reject(line: line, raw: bytes, refusal)
    }

    /// 0 when every record was accepted, 65 when any was rejected.
    public var exitStatus: Sysexits { counts.rejected > 0 ? .dataErr : .ok }
}
