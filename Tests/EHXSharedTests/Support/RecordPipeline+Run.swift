@testable import EHXShared

extension RecordPipeline {
    /// The definition `runBatched` is held to, line for line: `handle` on
    /// every record, one at a time. `handle` throws a RecordError (or any
    /// error but ToolError) to reject the line; a ToolError (an output that
    /// cannot be written) stops the run.
    func run(_ handle: (JSONValue) throws -> Void) throws(ToolError) {
        while let line = try nextLine() {
            counts.records += 1
            guard line.bytes.count <= maxLineBytes else {
                try rejectTooLong(line)
                continue
            }
            try settle(line, Self.judge(line.bytes, handle), finish: { _ in })
        }
        try end()
    }
}
