/// ehx's one read loop, shared by every tool that reads records line by
/// line (ehx-ingest through `ReadingSource`, ehx-sign, ehx-mine): each
/// non-blank line (without the CR of a CRLF file) is a record; a batch of
/// them is staged on several threads, then finished on this thread in input
/// order. A line the tool refuses goes to the rejects file and to stderr
/// with its line number and reason, and the loop goes on, so good lines
/// before and after a bad one are all handled.
public final class RecordPipeline {
    public struct Counts: Sendable {
        public var records = 0
        public var accepted = 0
        public var rejected = 0
    }

    /// A record's line: its number, and its bytes without the CR of a CRLF file.
    public struct Line: Sendable {
        public let number: Int
        public let bytes: [UInt8]
    }

    /// The longest line taken as a record; longer ones are rejected unread
    /// rather than parsed, so a runaway producer cannot exhaust memory twice.
    public static let defaultMaxLineBytes = 1 << 20

    private let reader: LineReader
    /// Where every refused record goes; a reader with rejects of its own
    /// (an import's CSV row, a FHIR entry) writes them here too.
    public let rejects: RejectLog
    let maxLineBytes: Int
    public internal(set) var counts = Counts()

    public init(input: String, rejects: String?, diagnostics: Diagnostics, maxLineBytes: Int = defaultMaxLineBytes) throws(ToolError) {
        reader = try LineReader(path: input)
        self.rejects = try RejectLog(path: rejects, file: reader.name, diagnostics: diagnostics)
        self.maxLineBytes = maxLineBytes
    }

    public var inputName: String { reader.name }

    /// The next non-blank line, neither staged nor counted (for a reader of
    /// a header or a whole document: CSV, FHIR), or nil at end of input.
    public func nextLine() throws(ToolError) -> Line? {
        while let line = try reader.next() {
            if let record = Self.record(line) { return record }
        }
        return nil
    }

    /// Lines read at once by `runBatched`, and the byte budget that caps a
    /// batch of long lines (the longest line allowed is 1 MiB).
    public static let defaultBatchLines = 4096
    static let maxBatchBytes = 16 << 20

    /// What the parallel stage made of one line's JSON.
    enum Judged<Prepared: Sendable>: Sendable {
        case rejected(RejectLog.Refusal)
        case stop(ToolError)
        case ready(Prepared)
    }

    /// Each batch of lines is parsed and put through `stage` in parallel,
    /// then `finish` runs on this thread for each line in input order.
    /// Counts, rejects (with their line numbers), messages and the exit
    /// status are those of a plain loop over the lines with
    /// `finish(stage(json))`, whatever `threads` (the tests hold it to one:
    /// `RecordPipeline.run` in their support).
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
    /// is judged under it. The workers stage the next batch while this
    /// thread finishes the one before (signing never waits for writing).
    /// `quick`, when given, is tried first on the line's bytes: a path for
    /// the common record that must give what `stage` gives for it, or nil
    /// to leave the line to `stage` (which names any refusal).
    ///
    /// `lane`, when given, goes before `quick`: for a record that becomes
    /// exactly one output line, it appends that line (newline included) to
    /// the worker's buffer and returns true, or returns false to leave the
    /// record to `quick` and `stage` (whatever it wrote is dropped). Its
    /// lines reach `emit` in input order, among what `finish` writes, and
    /// count as accepted. The buffers are kept from batch to batch (two
    /// sets: the workers fill one while this thread empties the other), so
    /// a lane line costs no allocation and nothing freed on another thread.
    // Compiled here for ehx-sign's SignedLine (--key) and byte lines
    // (--psk) and for ehx-mine's checked transactions, where the types are known: called from another module, the
    // generic body looked the metadata of its per-line enums up at run
    // time, five times a line (issue 19).
    @_specialize(exported: true, where Prepared == SignedLine)
    @_specialize(exported: true, where Prepared == [UInt8])
    @_specialize(exported: true, where Prepared == (tx: Transaction, leaf: [UInt8], signature: Bool))
    public func runBatched<Prepared: Sendable>(
        threads: Int, batchLines: Int = defaultBatchLines,
        idle: () throws(ToolError) -> Void = {},
        fresh: () throws(ToolError) -> Void = {},
        lane: Lane? = nil,
        emit: (UnsafeRawBufferPointer) throws(ToolError) -> Void = { _ throws(ToolError) in },
        quick: (@Sendable (_ line: UnsafeRawBufferPointer, _ worker: Int) -> Prepared?)? = nil,
        stage: @escaping @Sendable (_ json: JSONValue, _ worker: Int) throws -> Prepared,
        finish: (Prepared) throws -> Void
    ) throws(ToolError) {
        let sets = lane.map { _ in [LaneBuffers(workers: threads), LaneBuffers(workers: threads)] }
        var batches = 0
        try runLines(threads: threads, batchLines: batchLines, lookahead: true, idle: idle,
                     fresh: { () throws(ToolError) -> LaneBuffers.Batch? in
                         try fresh()
                         guard let sets else { return nil }
                         // The set the batch before last filled: emptied by now.
                         batches += 1
                         let set = batches & 1
                         sets[set].clear()
                         return LaneBuffers.Batch(set: set, buffers: sets[set])
                     },
                     stage: { line, worker, batch -> Laned<Prepared> in
                         if let lane, let batch, let buffer = batch.buffers.buffer(worker: worker) {
                             let start = buffer.bytes.count
                             if line.bytes.withUnsafeBytes({ lane($0, worker, &buffer.bytes) }) {
                                 return .lane(set: batch.set, worker: worker, start: start, end: buffer.bytes.count)
                             }
                             // Nothing of a declined line stays in the output.
                             if buffer.bytes.count > start { buffer.bytes.removeSubrange(start...) }
                         }
                         if let quick, let prepared = line.bytes.withUnsafeBytes({ quick($0, worker) }) { return .judged(.ready(prepared)) }
                         return .judged(Self.judge(line.bytes) { json throws in try stage(json, worker) })
                     },
                     finish: { line, laned throws(ToolError) in
                         switch laned {
                         case .judged(let judged):
                             try settle(line, judged, finish: finish)
                         case let .lane(set, worker, start, end):
                             guard let sets, let buffer = sets[set].buffer(worker: worker) else { return }
                             try buffer.bytes.withUnsafeBytes { bytes in
                                 Result { () throws(ToolError) in try emit(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) }
                             }.get()
                             counts.accepted += 1
                         }
                     })
        try end()
    }

    /// See `runBatched`'s `lane`.
    public typealias Lane = @Sendable (_ line: UnsafeRawBufferPointer, _ worker: Int, _ out: inout [UInt8]) -> Bool

    /// A staged line: judged for `finish`, or already written by the lane
    /// into worker `worker`'s buffer of set `set`, at `start..<end`.
    enum Laned<Prepared: Sendable>: Sendable {
        case judged(Judged<Prepared>)
        case lane(set: Int, worker: Int, start: Int, end: Int)
    }

    /// The loop under `runBatched` and `ReadingSource`: every non-blank line
    /// is counted as a record; one longer than the limit is rejected
    /// unread; the others go through `stage` on `threads` workers a batch
    /// at a time, with the context `fresh` gives for that batch (it runs
    /// after the batch is read, before it is staged), then through
    /// `finish` on this thread in input order. `idle` runs before every
    /// read that may wait for input.
    ///
    /// With `lookahead`, the workers stage the next batch while `finish`
    /// runs on this one, and only input already there is read ahead, so a
    /// live stream (a FIFO, tail -f) does not hold back the lines it has
    /// sent. `fresh` runs only once the batch before is staged, while no
    /// worker runs, as without lookahead. `settled` runs each time the
    /// workers are idle between batches (to free there what was made on
    /// them).
    public func runLines<Context: Sendable, Unit: Sendable>(
        threads: Int, batchLines: Int = defaultBatchLines, lookahead: Bool = false,
        idle: () throws(ToolError) -> Void = {},
        fresh: () throws(ToolError) -> Context,
        settled: () -> Void = {},
        stage: @escaping @Sendable (_ line: Line, _ worker: Int, _ context: Context) -> Unit,
        finish: (_ line: Line, _ unit: Unit) throws(ToolError) -> Void
    ) throws(ToolError) {
        /// The batch's records (nil at end of input, or when nothing is there yet and `waiting` is false).
        func next(waiting: Bool) throws(ToolError) -> [Line]? {
            if waiting {
                try rejects.flush()
                try idle()
            }
            let batch = try reader.nextBatch(maxLines: batchLines, maxBytes: Self.maxBatchBytes, waiting: waiting)
            return batch.isEmpty ? nil : batch.compactMap(Self.record)
        }
        /// The batch's records, and the context to stage them with (nil at end of input).
        func read() throws(ToolError) -> ([Line], Context?) {
            guard let lines = try next(waiting: true) else { return ([], nil) }
            return (lines, try fresh())
        }
        func handle(_ line: Line, _ unit: Unit?) throws(ToolError) {
            counts.records += 1
            guard let unit else { return try rejectTooLong(line) }
            try finish(line, unit)
        }
        let limit = maxLineBytes
        guard threads > 1 else {
            // One thread: each line straight through, no batch of results.
            while case let (lines, context?) = try read() {
                for line in lines {
                    try handle(line, line.bytes.count > limit ? nil : stage(line, 0, context))
                }
            }
            return
        }
        let staging = { @Sendable (context: Context) -> @Sendable (Int, Line) -> Unit? in
            { worker, line in line.bytes.count > limit ? nil : stage(line, worker, context) }
        }
        guard lookahead else {
            while case let (lines, context?) = try read() {
                let units = ParallelStage.map(lines, threads: threads, staging(context))
                for (line, unit) in zip(lines, units) { try handle(line, unit) }
            }
            return
        }
        var pending: (lines: [Line], units: ParallelStage.Pending<Unit?>)?
        // No batch is left staging when the run stops.
        defer { _ = pending?.units.wait() }
        while true {
            let lines = try next(waiting: pending == nil)
            let staged = pending.map { ($0.lines, $0.units.wait()) }
            pending = nil
            settled()
            if let lines { pending = (lines, ParallelStage.start(lines, threads: threads, staging(try fresh()))) }
            guard case let (before, units)? = staged else {
                if pending == nil { return }
                continue
            }
            for (line, unit) in zip(before, units) { try handle(line, unit) }
        }
    }

    /// A line as a record: without the CR of a CRLF file; nil when blank.
    private static func record(_ line: LineReader.Line) -> Line? {
        let bytes = line.bytes.last == 0x0d ? Array(line.bytes.dropLast()) : line.bytes
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        return Line(number: line.number, bytes: bytes)
    }

    /// The line's JSON through `stage` (on a worker).
    static func judge<Prepared: Sendable>(_ bytes: [UInt8], _ stage: (JSONValue) throws -> Prepared) -> Judged<Prepared> {
        let value: JSONValue
        // Integers read as integers (no strtod per number); what that
        // refuses is read again as `JSONValue.parse` reads it, for its message.
        do { value = try JSONValue.parse(bytes, integersAsIntegers: true) } catch {
            return .rejected(RejectLog.Refusal(code: .json, reason: error.description))
        }
        do {
            return .ready(try stage(value))
        } catch let failure as ToolError {
            return .stop(failure)
        } catch {
            return .rejected(RejectLog.Refusal(error))
        }
    }

    /// A judged record, in input order: rejected, stopping the run, or
    /// finished (accepted unless `finish` refuses it).
    func settle<Prepared: Sendable>(_ line: Line, _ judged: Judged<Prepared>, finish: (Prepared) throws -> Void) throws(ToolError) {
        switch judged {
        case .rejected(let refusal):
            try reject(line: line.number, bytes: line.bytes, refusal)
        case .stop(let failure):
            throw failure
        case .ready(let prepared):
            do {
                try finish(prepared)
                counts.accepted += 1
            } catch let failure as ToolError {
                throw failure
            } catch {
                try reject(line: line.number, bytes: line.bytes, RejectLog.Refusal(error))
            }
        }
    }

    func rejectTooLong(_ line: Line) throws(ToolError) {
        try reject(line: line.number, bytes: line.bytes, .tooLong(line.bytes.count, limit: maxLineBytes))
    }

    private func reject(line: Int, bytes: [UInt8], _ refusal: RejectLog.Refusal) throws(ToolError) {
        counts.rejected += 1
        try rejects.reject(line: line, raw: bytes, refusal)
    }

    /// The end of `runBatched` (and of the tests' plain `run`): the rejects closed, and a run
    /// with no records is an error.
    func end() throws(ToolError) {
        try rejects.close()
        if counts.records == 0 {
            throw ToolError(.dataErr, "\(reader.name): no input records")
        }
    }

    /// 0 when every record was accepted, 65 when any was rejected.
    public var exitStatus: Sysexits { counts.rejected > 0 ? .dataErr : .ok }
}
