#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A validated chain state on disk (`CHAIN.state`), bound to the chain file
/// it was taken from by the file's length, the length and SHA-256 of its
/// last block line, and the tip. `LocalChain` trusts it only while the
/// chain still holds that line at that place, as Bitcoin Core trusts its
/// chainstate: as the local operator's own work.
///
/// Layout: the magic line, then four sections each led by a u64le length
/// (the facts as canonical JSON, the keys as `ChainKeys.encode` lays them
/// out, each block's hash and bits 36 bytes each, each block's time and
/// required bits 8 bytes each), then SHA-256 of everything before it, so a
/// damaged file is noticed and rebuilt rather than trusted.
public struct ChainSnapshot: Sendable {
    /// Version 3: most keys in key runs beside the snapshot, the rest as a
    /// fingerprint table. (Version 2 held every key in its table; version
    /// 1 a list of txids and the reading and alert keys as hex in the facts.)
    public static let magic = Array("ehx-chainstate 3\n".utf8)

    /// Where the snapshot stands in the chain file.
    public struct Binding: Sendable, Equatable {
        /// Bytes of the chain file the state covers (through the last block line's newline).
        public var chainBytes: Int64
        /// The last covered block line with its newline: its length and hash.
        public var lastLineBytes: Int64
        public var lastLineHash: SHA256Digest
        /// The chain file as it was when its covered bytes were read or
        /// written; while it is still so, nothing was written to it since.
        public var stamp: FileStamp?
        /// A digest of every covered line: D(-1) = 32 zero bytes,
        /// D(h) = SHA-256(D(h-1) || SHA-256(line h with its newline)). When
        /// the stamp changed (an append the snapshot missed, a chmod, a
        /// restored copy), the covered bytes are hashed again and must give
        /// this: about the cost of reading the file once, not of checking it.
        public var linesDigest: SHA256Digest

        public init(chainBytes: Int64, lastLineBytes: Int64, lastLineHash: SHA256Digest,
                    stamp: FileStamp? = nil, linesDigest: SHA256Digest = .zero) {
            self.chainBytes = chainBytes
            self.lastLineBytes = lastLineBytes
            self.lastLineHash = lastLineHash
            self.stamp = stamp
            self.linesDigest = linesDigest
        }

        /// The next step of `linesDigest`, for a line of which `lineHash`
        /// is SHA-256 with its newline.
        public static func digest(_ previous: SHA256Digest, then lineHash: SHA256Digest) -> SHA256Digest {
            SHA256.hash(previous.bytes + lineHash.bytes)
        }
    }

    public var state: ChainState
    public var binding: Binding
    /// Each block's hash and bits, by height: enough to recognise blocks a
    /// peer sends again and to weigh a fork, without reading the chain.
    public var blockHashes: [SHA256Digest]
    public var blockBits: [UInt32]
    /// Each block's time and the bits the rules required of it, by height:
    /// what weighing a fork's headers from any fork point needs
    /// (`ehx-verify --append`), so it need not read the chain either.
    public var blockTimes: [UInt32]
    public var blockRequiredBits: [UInt32]

    public init(state: ChainState, binding: Binding, blockHashes: [SHA256Digest], blockBits: [UInt32],
                blockTimes: [UInt32], blockRequiredBits: [UInt32]) {
        self.state = state
        self.binding = binding
        self.blockHashes = blockHashes
        self.blockBits = blockBits
        self.blockTimes = blockTimes
        self.blockRequiredBits = blockRequiredBits
    }

    /// The whole snapshot in memory (tests; `write(toFile:)` streams it).
    public func encoded() throws(ChainSnapshotError) -> [UInt8] {
        let out = SnapshotWriter()
        try write(to: out)
        _ = out.finish()
        return out.collected
    }

    /// Writes the snapshot to `fd` a MiB at a time; returns the first write
    /// error (errno), 0 when none.
    public func write(toFile fd: Int32) throws(ChainSnapshotError) -> Int32 {
        let out = SnapshotWriter(fd: fd)
        try write(to: out)
        return out.finish()
    }

    private func write(to out: SnapshotWriter) throws(ChainSnapshotError) {
        guard blockHashes.count == blockBits.count, blockTimes.count == blockHashes.count, blockRequiredBits.count == blockHashes.count,
              Int64(blockHashes.count) == state.height + 1 else {
            throw .format("\(blockHashes.count) block hashes for a state at height \(state.height)")
        }
        guard case .object(var facts) = try state.snapshotFacts() else { throw .format("state facts are not an object") }
        facts["chain_bytes"] = .number(Double(binding.chainBytes))
        facts["last_line_bytes"] = .number(Double(binding.lastLineBytes))
        facts["last_line_sha256"] = .string(binding.lastLineHash.hex)
        facts["lines_digest"] = .string(binding.linesDigest.hex)
        if let stamp = binding.stamp {
            // Strings: a device or inode number may not fit a JSON number exactly.
            facts["chain_file"] = .array([stamp.device, stamp.inode].map { .string(String($0)) })
            facts["chain_ctime"] = .array([stamp.changeSeconds, stamp.changeNanoseconds].map { .string(String($0)) })
        }
        let factBytes = JSONValue.object(facts).canonicalBytes()
        out.write(Self.magic)
        out.word(UInt64(factBytes.count))
        out.write(factBytes)
        out.word(UInt64(state.keys.encodedCount))
        state.keys.encode(to: out)
        out.word(UInt64(blockHashes.count * 36))
        for (hash, bits) in zip(blockHashes, blockBits) {
            out.write(hash.bytes)
            withUnsafeBytes(of: bits.littleEndian) { out.write($0) }
        }
        out.word(UInt64(blockTimes.count * 8))
        for (time, required) in zip(blockTimes, blockRequiredBits) {
            withUnsafeBytes(of: time.littleEndian) { out.write($0) }
            withUnsafeBytes(of: required.littleEndian) { out.write($0) }
        }
    }

    public static func decode(_ bytes: [UInt8], runDirectory: SafeDirectory? = nil) throws(ChainSnapshotError) -> ChainSnapshot {
        guard bytes.count >= magic.count + 24 + 32, Array(bytes.prefix(magic.count)) == magic else {
            throw .format("not an ehx chain-state snapshot (or one of another version)")
        }
        let body = bytes.count - 32
        guard SHA256.hash(bytes[..<body]).bytes == Array(bytes[body...]) else {
            throw .format("its checksum does not match (damaged)")
        }
        return try decode(SnapshotReader(bytes: bytes, limit: body), runDirectory: runDirectory)
    }

    /// Reads the snapshot file open at `fd`, `size` bytes long: its checksum
    /// in one pass, its sections in a second, a MiB at a time, so loading
    /// the state never holds the whole file. Its key runs are opened in
    /// `runDirectory`.
    public static func read(fd: Int32, size: Int, runDirectory: SafeDirectory?) throws(ChainSnapshotError) -> ChainSnapshot {
        guard size >= magic.count + 24 + 32 else { throw .format("not an ehx chain-state snapshot (or one of another version)") }
        let body = size - 32
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw .format("unreadable: \(String(cString: strerror(errno)))") }
        let pass = SnapshotReader(fd: fd, limit: size)
        let hash = SHA256Stream()
        var left = body
        while left > 0 {
            let n = min(left, 1 << 20)
            hash.update(try pass.take(n))
            left -= n
        }
        guard hash.finish().bytes == (try pass.bytes(32)) else {
            // The magic first: another version is not "damaged".
            guard lseek(fd, 0, SEEK_SET) == 0, (try SnapshotReader(fd: fd, limit: size).bytes(magic.count)) == magic else {
                throw .format("not an ehx chain-state snapshot (or one of another version)")
            }
            throw .format("its checksum does not match (damaged)")
        }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw .format("unreadable: \(String(cString: strerror(errno)))") }
        return try decode(SnapshotReader(fd: fd, limit: body), runDirectory: runDirectory)
    }

    private static func decode(_ raw: SnapshotReader, runDirectory: SafeDirectory?) throws(ChainSnapshotError) -> ChainSnapshot {
        guard (try raw.bytes(magic.count)) == magic else {
            throw .format("not an ehx chain-state snapshot (or one of another version)")
        }
        func sectionLength() throws(ChainSnapshotError) -> Int {
            let length = try raw.word()
            guard length <= UInt64(raw.limit - raw.offset) else { throw .format("a section runs past the end") }
            return Int(length)
        }
        let factBytes = try raw.take(try sectionLength())
        let facts: JSONValue
        do { facts = try JSONValue.parse(factBytes) } catch { throw .format("facts: \(error)") }
        let keysLength = try sectionLength()
        let keysEnd = raw.offset + keysLength
        let state = try ChainState(snapshotFacts: facts, keys: raw, runDirectory: runDirectory)
        guard raw.offset == keysEnd else { throw .format("the key section does not fill its length") }
        let blocksLength = try sectionLength()
        guard blocksLength % 36 == 0, blocksLength <= raw.limit - raw.offset else { throw .format("sections do not fill the file") }
        guard let chainBytes = facts["chain_bytes"]?.integerValue, let lineBytes = facts["last_line_bytes"]?.integerValue,
              let lineHash = facts["last_line_sha256"]?.stringValue.flatMap(SHA256Digest.init(hex:)),
              chainBytes >= lineBytes, lineBytes > 0 else {
            throw .format("no binding to a chain file")
        }
        guard let digest = facts["lines_digest"]?.stringValue.flatMap(SHA256Digest.init(hex:)) else { throw .format("no lines digest") }
        var stamp: FileStamp?
        if let file = facts["chain_file"]?.arrayValue, let ctime = facts["chain_ctime"]?.arrayValue {
            guard file.count == 2, ctime.count == 2,
                  let device = file[0].stringValue.flatMap({ UInt64($0) }), let inode = file[1].stringValue.flatMap({ UInt64($0) }),
                  let seconds = ctime[0].stringValue.flatMap({ Int64($0) }), let nanoseconds = ctime[1].stringValue.flatMap({ Int64($0) }) else {
                throw .format("chain_file or chain_ctime")
            }
            stamp = FileStamp(device: device, inode: inode, changeSeconds: seconds, changeNanoseconds: nanoseconds)
        }
        var hashes: [SHA256Digest] = []
        var bits: [UInt32] = []
        hashes.reserveCapacity(blocksLength / 36)
        bits.reserveCapacity(blocksLength / 36)
        var left = blocksLength / 36
        while left > 0 {
            let n = min(left, 1 << 14)
            let run = try raw.take(n * 36)
            for i in 0..<n {
                hashes.append(SHA256Digest(unchecked: Array(run[(i * 36)..<(i * 36 + 32)])))
                bits.append(UInt32(littleEndian: run.loadUnaligned(fromByteOffset: i * 36 + 32, as: UInt32.self)))
            }
            left -= n
        }
        let headersLength = try sectionLength()
        guard raw.offset + headersLength == raw.limit, headersLength == blocksLength / 36 * 8 else {
            throw .format("sections do not fill the file")
        }
        var times: [UInt32] = []
        var required: [UInt32] = []
        times.reserveCapacity(headersLength / 8)
        required.reserveCapacity(headersLength / 8)
        left = headersLength / 8
        while left > 0 {
            let n = min(left, 1 << 16)
            let run = try raw.take(n * 8)
            for i in 0..<n {
                times.append(UInt32(littleEndian: run.loadUnaligned(fromByteOffset: i * 8, as: UInt32.self)))
                required.append(UInt32(littleEndian: run.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self)))
            }
            left -= n
        }
        guard Int64(hashes.count) == state.height + 1, hashes.last == state.tip else {
            throw .format("its block list does not end at its tip")
        }
        let binding = Binding(chainBytes: chainBytes, lastLineBytes: lineBytes, lastLineHash: lineHash, stamp: stamp, linesDigest: digest)
        return ChainSnapshot(state: state, binding: binding, blockHashes: hashes, blockBits: bits,
                             blockTimes: times, blockRequiredBits: required)
    }
}

/// Why a snapshot was not used; the state is then rebuilt from the chain.
public enum ChainSnapshotError: Error, CustomStringConvertible, Sendable {
    case format(String)
    /// A key run the snapshot names is not in its directory: a save by
    /// another process merged it away after this one read the snapshot.
    case missingRun(String)

    public var description: String {
        switch self {
        case .format(let why): return why
        case .missingRun(let name): return "its key run \(name) is missing"
        }
    }
}
