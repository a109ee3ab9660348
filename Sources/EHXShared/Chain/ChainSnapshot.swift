/// A validated chain state on disk (`CHAIN.state`), bound to the chain file
/// it was taken from by the file's length, the length and SHA-256 of its
/// last block line, and the tip. `LocalChain` trusts it only while the
/// chain still holds that line at that place, as Bitcoin Core trusts its
/// chainstate: as the local operator's own work.
///
/// Layout: the magic line, then four sections each led by a u64le length
/// (the facts as canonical JSON, the txids 32 bytes each, each block's hash
/// and bits 36 bytes each, each block's time and required bits 8 bytes
/// each), then SHA-256 of everything before it, so a damaged file is
/// noticed and rebuilt rather than trusted.
public struct ChainSnapshot: Sendable {
    public static let magic = Array("ehx-chainstate 2\n".utf8)

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

    public func encoded() throws(ChainSnapshotError) -> [UInt8] {
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
        let txids = state.snapshotTxids()
        var out = Self.magic
        out.reserveCapacity(out.count + factBytes.count + txids.count + blockHashes.count * 44 + 72)
        Self.appendLength(factBytes.count, to: &out)
        out += factBytes
        Self.appendLength(txids.count, to: &out)
        out += txids
        Self.appendLength(blockHashes.count * 36, to: &out)
        for (hash, bits) in zip(blockHashes, blockBits) {
            out += hash.bytes
            withUnsafeBytes(of: bits.littleEndian) { out += $0 }
        }
        Self.appendLength(blockTimes.count * 8, to: &out)
        for (time, required) in zip(blockTimes, blockRequiredBits) {
            withUnsafeBytes(of: time.littleEndian) { out += $0 }
            withUnsafeBytes(of: required.littleEndian) { out += $0 }
        }
        out += SHA256.hash(out).bytes
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(ChainSnapshotError) -> ChainSnapshot {
        guard bytes.count >= magic.count + 24 + 32, Array(bytes.prefix(magic.count)) == magic else {
            throw .format("not an ehx chain-state snapshot (or one of another version)")
        }
        let body = bytes.count - 32
        guard SHA256.hash(bytes[..<body]).bytes == Array(bytes[body...]) else {
            throw .format("its checksum does not match (damaged)")
        }
        // withUnsafeBytes rethrows untyped: the result carries the typed error out.
        return try bytes.withUnsafeBytes { raw in Result { () throws(ChainSnapshotError) in try decode(raw, body: body) } }.get()
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, body: Int) throws(ChainSnapshotError) -> ChainSnapshot {
        var at = magic.count
        func section() throws(ChainSnapshotError) -> UnsafeRawBufferPointer {
            guard at + 8 <= body else { throw .format("cut short") }
            let length = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            at += 8
            guard length <= UInt64(body - at) else { throw .format("a section runs past the end") }
            defer { at += Int(length) }
            return UnsafeRawBufferPointer(rebasing: raw[at..<(at + Int(length))])
        }
        let factBytes = try section()
        let facts: JSONValue
        do { facts = try JSONValue.parse(factBytes) } catch { throw .format("facts: \(error)") }
        let txids = try section()
        let blocks = try section()
        let headers = try section()
        guard at == body, blocks.count % 36 == 0, headers.count % 8 == 0, headers.count / 8 == blocks.count / 36 else {
            throw .format("sections do not fill the file")
        }
        let state = try ChainState(snapshotFacts: facts, txids: txids)
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
        hashes.reserveCapacity(blocks.count / 36)
        bits.reserveCapacity(blocks.count / 36)
        var offset = 0
        while offset < blocks.count {
            hashes.append(SHA256Digest(unchecked: Array(blocks[offset..<(offset + 32)])))
            bits.append(UInt32(littleEndian: blocks.loadUnaligned(fromByteOffset: offset + 32, as: UInt32.self)))
            offset += 36
        }
        var times: [UInt32] = []
        var required: [UInt32] = []
        times.reserveCapacity(headers.count / 8)
        required.reserveCapacity(headers.count / 8)
        offset = 0
        while offset < headers.count {
            times.append(UInt32(littleEndian: headers.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            required.append(UInt32(littleEndian: headers.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
            offset += 8
        }
        guard Int64(hashes.count) == state.height + 1, hashes.last == state.tip else {
            throw .format("its block list does not end at its tip")
        }
        let binding = Binding(chainBytes: chainBytes, lastLineBytes: lineBytes, lastLineHash: lineHash, stamp: stamp, linesDigest: digest)
        return ChainSnapshot(state: state, binding: binding, blockHashes: hashes, blockBits: bits,
                             blockTimes: times, blockRequiredBits: required)
    }

    private static func appendLength(_ length: Int, to out: inout [UInt8]) {
        withUnsafeBytes(of: UInt64(length).littleEndian) { out += $0 }
    }
}

/// Why a snapshot was not used; the state is then rebuilt from the chain.
public enum ChainSnapshotError: Error, CustomStringConvertible, Sendable {
    case format(String)

    public var description: String {
        switch self {
        case .format(let why): return why
        }
    }
}
