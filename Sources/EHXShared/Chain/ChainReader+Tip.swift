extension ChainReader {
    /// The last block's frame and the exact work of every block, as
    /// `ehx-query tip` prints them. The work needs every block's bits: the
    /// lines a current snapshot covers are not read again (their work is the
    /// snapshot's, `LocalChain.coveredPrefix`), only those after it; without
    /// one every line's head is read. Either way nothing is judged, and a
    /// line that is not a block or a torn last line stops it with exit 65.
    /// `linesRead`: how many lines were read (the snapshot's tip line, read
    /// again for its time and count, is one).
    public static func tip(path: String) throws(ToolError) -> (frame: Frame, work: ChainWork, linesRead: Int) {
        guard let covered = try LocalChain.coveredPrefix(chain: path) else {
            var last: Frame?
            var bits: [UInt32] = []
            try forEachFrame(path: path) { (_, frame) throws(ToolError) in
                last = frame
                bits.append(frame.header.bits)
            }
            guard let last else { throw empty(path) }
            return (last, LocalChain.work(ofBits: bits), bits.count)
        }
        let cursor = try ChainCursor(path: path, offset: covered.bytes)
        var number = covered.lines
        var last: Frame?
        var bits: [UInt32] = []
        while let (_, bytes) = try cursor.next() {
            number += 1
            let frame: Frame
            do { frame = try Frame(line: bytes) } catch {
                throw ToolError(.dataErr, "\(path):\(number): \(error)")
            }
            bits.append(frame.header.bits)
            last = frame
        }
        if cursor.offset < cursor.fileSize {
            throw torn(path, line: Int(number) + 1)
        }
        let total = covered.work + LocalChain.work(ofBits: bits)
        if let last { return (last, total, bits.count) }
        // Nothing after the snapshot: its tip is the last line.
        guard let tip = try lastFrame(path: path) else { throw empty(path) }
        return (tip, total, 1)
    }
}
