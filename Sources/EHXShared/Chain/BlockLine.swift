#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading one chain-file line into a Block, with the canonical-form check
/// that makes any byte change of an exported chain visible.
public enum BlockLine {
    public static func parse(_ bytes: [UInt8]) throws(ChainProblem) -> Block {
        try parseWithRoot(bytes).block
    }

    /// Parses, checks the canonical form and computes the Merkle root, each
    /// transaction serialized once: the canonical block line is assembled
    /// (`layout`) from the same leaves the Merkle tree hashes.
    public static func parseWithRoot(_ bytes: [UInt8]) throws(ChainProblem) -> (block: Block, merkleRoot: SHA256Digest) {
        let (block, leaves) = try parseWithLeaves(bytes)
        return (block, MerkleTree.root(leaves: leaves))
    }

    /// Parses and checks the canonical form as `parseWithRoot` does, and
    /// gives each transaction's leaf, its exact bytes in the line, made
    /// once on the way (an index stores where each lies, or the bytes).
    public static func parseWithLeaves(_ bytes: [UInt8]) throws(ChainProblem) -> (block: Block, leaves: [[UInt8]]) {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch {
            throw ChainProblem(.json, error.description)
        }
        let block: Block
        var made: [[UInt8]]? = []
        do { block = try Block(parsing: json, leaves: &made) } catch {
            throw ChainProblem(.schema, error.description)
        }
        // Checked after the schema so that a record with a wrong field is
        // reported as such, not merely as "not canonical".
        let leaves = made ?? block.txs.map(\.leaf)
        guard let members = json.objectValue, let hash = members["hash"], let header = members["header"],
              let height = members["height"] else {
            throw ChainProblem(.schema, "not a block object")
        }
        let head = layoutHead(hash: hash.canonicalBytes(), header: header.canonicalBytes(), height: height.canonicalBytes())
        let canonical = layout(head: head, leaves: leaves, newline: false)
        if canonical != bytes {
            throw ChainProblem(.canonical, "the line is not the canonical (RFC 8785) form of its block")
        }
        return (block, leaves)
    }

    // MARK: - Cutting a line for parallel parsing

    /// A block line cut into its head, read and checked, and the byte
    /// ranges of its transactions, so that each transaction can be parsed
    /// and checked on its own thread (`ChainBatch`) instead of the whole
    /// line on one.
    struct Split: Sendable {
        let height: Int64
        let claimedHash: SHA256Digest
        let header: BlockHeader
        /// Where each transaction's bytes lie in the line.
        let txs: [Range<Int>]
    }

    /// Cuts a line laid out as a canonical block line is: a head that is
    /// the canonical form of the block's hash, header and height (checked
    /// here, as `parseWithRoot` checks them), then objects separated by
    /// commas, then `]}`. Nil for any other line, which `parseWithRoot`
    /// then reads whole and names the problem of. When every range holds
    /// exactly the canonical form of a valid transaction (the caller
    /// checks), the line is the canonical form of the block made of these
    /// parts, so reading it whole would give the same block.
    static func split(_ bytes: [UInt8]) -> Split? {
        guard let head = head(of: bytes),
              let txs = bytes.withUnsafeBufferPointer({ objectRanges(in: $0, from: head.end) }) else { return nil }
        return Split(height: head.height, claimedHash: head.claimedHash, header: head.header, txs: txs)
    }

    /// The height, claimed hash and header of a canonical block line, read
    /// from its head alone (`{"hash":…,"header":…,"height":…,"txs":[`), and
    /// where the head ends: any prefix of the line that holds the head will
    /// do (`ehx-query headers` reads a few hundred bytes of each block).
    /// Nil when the bytes do not start with a head laid out canonically.
    static func head(of bytes: [UInt8]) -> (height: Int64, claimedHash: SHA256Digest, header: BlockHeader, end: Int)? {
        let marker = Array(#","txs":["#.utf8)
        guard let headEnd = bytes.withUnsafeBufferPointer({ firstEnd(of: marker, in: $0) }) else { return nil }
        let frameBytes = Array(bytes[..<headEnd]) + Array("]}".utf8)
        guard let json = try? JSONValue.parse(frameBytes),
              let f = try? RecordFields(json, allowed: ["height", "hash", "header", "txs"]),
              let (height, claimedHash, header) = try? Block.frame(f),
              let members = json.objectValue, members.count == 4, members["txs"]?.arrayValue?.isEmpty == true,
              let hash = members["hash"], let headerValue = members["header"], let heightValue = members["height"] else { return nil }
        let head = layoutHead(hash: hash.canonicalBytes(), header: headerValue.canonicalBytes(), height: heightValue.canonicalBytes())
        guard head.count == headEnd, head.elementsEqual(bytes[..<headEnd]) else { return nil }
        return (height, claimedHash, header, headEnd)
    }

    /// The index just past the first occurrence of `needle`.
    private static func firstEnd(of needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == first && needle.indices.allSatisfy({ bytes[i + $0] == needle[$0] }) { return i + needle.count }
            i += 1
        }
        return nil
    }

    /// The ranges of the objects `{…},{…}` from `start` to a final `]}`
    /// that ends the line; nil if the bytes are laid out any other way.
    /// Brackets are counted outside strings only; whether each range is
    /// JSON at all is for the parser to say.
    private static func objectRanges(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> [Range<Int>]? {
        guard let base = bytes.baseAddress else { return nil }
        var ranges: [Range<Int>] = []
        var p = start
        let count = bytes.count
        while true {
            guard p < count, bytes[p] == UInt8(ascii: "{") else { return nil }
            let begin = p
            var depth = 0
            var inString = false
            while p < count {
                if inString {
                    // Strings are most of a line (signatures, keys, text):
                    // memchr finds the next quote, which closes the string
                    // unless an odd run of backslashes escapes it.
                    guard let found = memchr(base + p, Int32(UInt8(ascii: "\"")), count - p) else { return nil }
                    let quote = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
                    var backslashes = 0
                    while bytes[quote - 1 - backslashes] == UInt8(ascii: "\\") { backslashes += 1 }
                    p = quote + 1
                    if backslashes % 2 == 0 { inString = false }
                    continue
                }
                let b = bytes[p]
                p += 1
                if b == UInt8(ascii: "\"") {
                    inString = true
                } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                    depth += 1
                } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { break }
                }
            }
            guard depth == 0, !inString, p <= count else { return nil }
            ranges.append(begin..<p)
            guard p < count else { return nil }
            if bytes[p] == UInt8(ascii: ",") { p += 1; continue }
            guard bytes[p] == UInt8(ascii: "]"), p + 2 == count, bytes[p + 1] == UInt8(ascii: "}") else { return nil }
            return ranges
        }
    }

    // MARK: - The layout

    /// The one statement of a block line's layout. A block object has
    /// exactly the members hash, header, height and txs, which is their JCS
    /// order, so its canonical form is this head (everything up to the
    /// first transaction), the leaves (each transaction's canonical form)
    /// joined by commas, and `]}`. Members given as canonical bytes.
    static func layoutHead(hash: [UInt8], header: [UInt8], height: [UInt8]) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(hash.count + header.count + height.count + 40)
        head += Array(#"{"hash":"#.utf8) + hash
        head += Array(#","header":"#.utf8) + header
        head += Array(#","height":"#.utf8) + height
        head += Array(#","txs":["#.utf8)
        return head
    }

    /// The whole line after `head`; with `newline`, as the chain file holds it.
    static func layout(head: [UInt8], leaves: [[UInt8]], newline: Bool) -> [UInt8] {
        var line = head
        line.reserveCapacity(leaves.reduce(head.count + 3) { $0 + $1.count + 1 })
        for (i, leaf) in leaves.enumerated() {
            if i > 0 { line.append(0x2c) }
            line += leaf
        }
        line += Array((newline ? "]}\n" : "]}").utf8)
        return line
    }
}

extension ChainProblem: Error {}

/// Streams a chain file block by block for tools that need it readable but
/// leave judging it to ehx-verify (ehx-query); the tools that must vouch for
/// the chain before acting on it start from `LocalChain`.
public enum ChainReader {
    /// A chain file whose last line has no newline (a miner's append cut
    /// short); `line`: its number, when known.
    static func torn(_ name: String, line: Int? = nil) -> ToolError {
        ToolError(.dataErr, "\(name)\(line.map { ":\($0)" } ?? ""): truncated: the last line has no newline (a torn write?)")
    }

    static func empty(_ name: String) -> ToolError {
        ToolError(.dataErr, "\(name): empty chain (no genesis block)")
    }

    /// Calls `body` for every block in order with the line it came from; the
    /// first unreadable line stops the walk with an error naming the file and line.
    public static func forEachLine(path: String, _ body: (_ line: LineReader.Line, _ block: Block) throws(ToolError) -> Void) throws(ToolError) {
        try walk(path: path) { (line, block) throws(ToolError) in
            try body(line, block)
            return true
        }
    }

    /// Each line while `body` returns true, cut at its transactions when it
    /// is laid out as a canonical block line (`BlockLine.split`), else nil
    /// (read it whole with `block(_:in:)`, which names its problem).
    /// Nothing is parsed beyond the line's head.
    static func forEachSplitLine(path: String, _ body: (_ line: LineReader.Line, _ split: BlockLine.Split?) throws(ToolError) -> Bool) throws(ToolError) {
        try walk(path: path, reading: { (bytes) throws(ChainProblem) in BlockLine.split(bytes) }, body)
    }

    /// The first line whose frame `matches` holds for, and that frame, read
    /// up to it and no further, each line's head parsed and not its
    /// transactions (`Frame`): `ehx-query block` near the tip of a 10^6
    /// chain took 17 s parsing every transaction before it. Nil when none does.
    public static func firstFrame(path: String, where matches: (Frame) -> Bool) throws(ToolError) -> (line: LineReader.Line, frame: Frame)? {
        var found: (LineReader.Line, Frame)?
        try walk(path: path, reading: { (bytes) throws(ChainProblem) in try Frame(line: bytes) }) { (line, frame) throws(ToolError) in
            if matches(frame) { found = (line, frame) }
            return found == nil
        }
        return found
    }

    /// Reads blocks while `body` returns true.
    private static func walk(path: String, _ body: (LineReader.Line, Block) throws(ToolError) -> Bool) throws(ToolError) {
        try walk(path: path, reading: { (bytes) throws(ChainProblem) in try BlockLine.parse(bytes) }, body)
    }

    /// Reads each line with `read` while `body` returns true: a torn last
    /// line, a line `read` refuses (named by file and line) and a file
    /// without lines stop the walk with exit 65.
    private static func walk<Read>(path: String, reading read: ([UInt8]) throws(ChainProblem) -> Read,
                                   _ body: (LineReader.Line, Read) throws(ToolError) -> Bool) throws(ToolError) {
        let reader = try LineReader(path: path)
        var any = false
        while let line = try reader.next() {
            guard line.terminated else {
                throw torn(reader.name, line: line.number)
            }
            let value: Read
            do { value = try read(line.bytes) } catch {
                throw ToolError(.dataErr, "\(reader.name):\(line.number): \(error)")
            }
            any = true
            guard try body(line, value) else { return }
        }
        if !any { throw empty(reader.name) }
    }

    /// The block on `line` of the chain file `name`, or an error naming both.
    public static func block(_ line: LineReader.Line, in name: String) throws(ToolError) -> Block {
        do { return try BlockLine.parse(line.bytes) } catch {
            throw ToolError(.dataErr, "\(name):\(line.number): \(error)")
        }
    }

    /// What `tip` and `headers` need of a block: its frame and how many
    /// transactions it holds.
    public struct Frame: Sendable {
        public let height: Int64
        public let claimedHash: SHA256Digest
        public let header: BlockHeader
        public let txCount: Int

        /// A line laid out as a canonical block line is cut at its
        /// transactions (`BlockLine.split`) and only its head is parsed;
        /// any other line is parsed whole.
        init(line: [UInt8]) throws(ChainProblem) {
            if let split = BlockLine.split(line) {
                (height, claimedHash, header, txCount) = (split.height, split.claimedHash, split.header, split.txs.count)
            } else {
                let block = try BlockLine.parse(line)
                (height, claimedHash, header, txCount) = (block.height, block.claimedHash, block.header, block.txs.count)
            }
        }
    }

    /// As `forEachLine`, but each line read as a `Frame`, so the walk costs
    /// reading the file, not parsing every transaction in it. Like every
    /// walk here it reads, it does not judge.
    public static func forEachFrame(path: String, _ body: (_ line: LineReader.Line, _ frame: Frame) throws(ToolError) -> Void) throws(ToolError) {
        try walk(path: path, reading: { (bytes) throws(ChainProblem) in try Frame(line: bytes) }) { (line, frame) throws(ToolError) in
            try body(line, frame)
            return true
        }
    }

    /// The last line's frame, read from the end of the file back to the
    /// newline before it: `tip --hash` on a 10^7-transaction chain reads one
    /// block line, not 3 GB. The lines before it are not read at all.
    /// Nil when the chain is not a regular file (stdin, a pipe): read it
    /// from the start then.
    public static func lastFrame(path: String) throws(ToolError) -> Frame? {
        guard let lines = try BackwardLines(path: path) else { return nil }
        guard lines.size > 0 else { throw empty(path) }
        guard lines.endsWithNewline else {
            throw torn(path)
        }
        guard let (_, line) = try lines.previous() else { throw empty(path) }
        do { return try Frame(line: line) } catch {
            throw ToolError(.dataErr, "\(path): last line: \(error)")
        }
    }

    /// Where the lines after block `wanted` begin, looked for from the end
    /// back (a peer asks for what came after its tip: the last few lines),
    /// each line's head parsed, not its transactions. `.unsure` when this
    /// cannot answer as the walk from the start would (not a regular file,
    /// a torn tail, a line that is not a canonical block line): walk then,
    /// which names the line.
    public enum Since: Equatable { case after(offset: Int64, end: Int64), notFound, unsure }

    public static func since(block wanted: SHA256Digest, path: String) throws(ToolError) -> Since {
        guard let lines = try BackwardLines(path: path), lines.endsWithNewline else { return .unsure }
        let end = lines.size
        while let (start, line) = try lines.previous() {
            guard let split = BlockLine.split(line) else { return .unsure }
            if split.claimedHash == wanted { return .after(offset: start + Int64(line.count) + 1, end: end) }
        }
        return .notFound
    }

    /// Copies the file's bytes `offset..<end` to `fd` (stdout) a MiB at a time.
    public static func copy(path: String, from offset: Int64, to end: Int64, into fd: Int32 = STDOUT_FILENO) throws(ToolError) {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { throw ToolError(.noInput, FileProblem.message(path, cannot: "read", errno: errno)) }
        defer { close(file) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var at = offset
        while at < end {
            let n = Int(min(Int64(buffer.count), end - at))
            let (got, error) = buffer.withUnsafeMutableBytes { FileReading.read(file, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<n]), at: off_t(at)) }
            guard error == 0, got == n else { throw ToolError(.ioErr, "\(path): read failed: \(FileWriting.errorText(error))") }
            let failure = buffer.withUnsafeBytes { FileWriting.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            guard failure == 0 else { throw ToolError(.ioErr, "stdout: write failed: \(FileWriting.errorText(failure))") }
            at += Int64(n)
        }
    }

    /// A regular file's lines from its end back, each whole, with its offset.
    private final class BackwardLines {
        let path: String
        let fd: Int32
        let size: Int64
        /// Where the line `previous` returns ends (its newline's offset).
        private var end: Int64

        /// Nil when `path` is stdin or not a regular file.
        init?(path: String) throws(ToolError) {
            guard path != "-" else { return nil }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let code = errno
                throw ToolError(code == EACCES || code == EPERM ? .noPerm : .noInput, FileProblem.message(path, cannot: "read", errno: code))
            }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                return nil
            }
            self.path = path
            self.fd = fd
            size = Int64(info.st_size)
            end = size - 1
        }

        deinit { close(fd) }

        var endsWithNewline: Bool {
            size > 0 && (try? read(1, at: size - 1)) == [0x0a]
        }

        /// The line before the last one returned (the last line first).
        func previous() throws(ToolError) -> (start: Int64, bytes: [UInt8])? {
            guard end >= 0 else { return nil }
            var start: Int64 = 0
            var scan = end
            search: while scan > 0 {
                let from = max(0, scan - 65_536)
                let chunk = try read(Int(scan - from), at: from)
                if let at = chunk.lastIndex(of: 0x0a) {
                    start = from + Int64(at) + 1
                    break search
                }
                scan = from
            }
            let line = try read(Int(end - start), at: start)
            end = start - 1
            return (start, line)
        }

        private func read(_ count: Int, at offset: Int64) throws(ToolError) -> [UInt8] {
            let (bytes, error) = FileReading.bytes(fd, count: count, at: off_t(offset))
            guard let bytes else { throw ToolError(.ioErr, "\(path): read failed: \(FileWriting.errorText(error))") }
            return bytes
        }
    }

    /// As `forEachBlock`, each block read (and, `checkingSignatures`, its
    /// signatures checked) on `threads` workers, a window ahead of `body`
    /// (`ChainBatch`), and handed over with those facts: a replay or a scan
    /// of a whole chain costs about what ehx-verify does, not a serial parse
    /// of every transaction. The same lines stop it, with the same messages.
    public static func forEachPreparedBlock(path: String, threads: Int, checkingSignatures: Bool = true,
                                            _ body: (_ block: Block, _ bytes: Int, _ facts: BlockFacts?) throws(ToolError) -> Void) throws(ToolError) {
        let reader = try LineReader(path: path)
        var any = false
        try ChainBatch.forEachPrepared(reader: reader, threads: threads,
                                       trustSignaturesBelow: checkingSignatures ? nil : .max) { prepared throws(ToolError) in
            let line = prepared.line
            guard line.terminated else {
                throw torn(reader.name, line: line.number)
            }
            switch prepared.parsed {
            case .failure(let problem):
                throw ToolError(.dataErr, "\(reader.name):\(line.number): \(problem)")
            case .success(let block):
                any = true
                try body(block, line.bytes.count + 1, prepared.facts)
            }
        }
        if !any { throw empty(reader.name) }
    }

    /// As `forEachLine`, with the line's number and length (newline included).
    public static func forEachBlock(path: String, _ body: (_ line: Int, _ block: Block, _ bytes: Int) throws(ToolError) -> Void) throws(ToolError) {
        try forEachLine(path: path) { (line, block) throws(ToolError) in
            try body(line.number, block, line.bytes.count + 1)
        }
    }
}
