/// A validated chain state on disk (`CHAIN.state`), bound to the chain file
/// it was taken from by the file's length, the length and SHA-256 of its
/// last block line, and the tip. `LocalChain` trusts it only while the
/// chain still holds that line at that place, as Bitcoin Core trusts its
/// chainstate: as the local operator's own work.
///
/// Layout: the magic line, then three sections each led by a u64le length
/// (the facts as canonical JSON, the keys as `ChainKeys.encode` lays them
/// out, each block's hash and bits 36 bytes each), then SHA-256 of everything before it, so a
/// damaged file is noticed and rebuilt rather than trusted.
public struct ChainSnapshot: Sendable {
    /// Version 2: the keys as a fingerprint table (version 1 held a list of
    /// txids and the reading and alert keys as hex in the facts).
    public static let magic = Array("ehx-chainstate 2\n".utf8)

    /// Where the snapshot stands in the chain file.
    public struct Binding: Sendable, Equatable {
        /// Bytes of the chain file the state covers (through the last block line's newline).
        public var chainBytes: Int64
        /// The last covered block line with its newline: its length and hash.
        public var lastLineBytes: Int64
        public var lastLineHash: SHA256Digest

        public init(chainBytes: Int64, lastLineBytes: Int64, lastLineHash: SHA256Digest) {
            self.chainBytes = chainBytes
            self.lastLineBytes = lastLineBytes
            self.lastLineHash = lastLineHash
        }
    }

    public var state: ChainState
    public var binding: Binding
    /// Each block's hash and bits, by height: enough to recognise blocks a
    /// peer sends again and to weigh a fork, without reading the chain.
    public var blockHashes: [SHA256Digest]
    public var blockBits: [UInt32]

    public init(state: ChainState, binding: Binding, blockHashes: [SHA256Digest], blockBits: [UInt32]) {
        self.state = state
        self.binding = binding
        self.blockHashes = blockHashes
        self.blockBits = blockBits
    }

    public func encoded() throws(ChainSnapshotError) -> [UInt8] {
        guard blockHashes.count == blockBits.count, Int64(blockHashes.count) == state.height + 1 else {
            throw .format("\(blockHashes.count) block hashes for a state at height \(state.height)")
        }
        guard case .object(var facts) = try state.snapshotFacts() else { throw .format("state facts are not an object") }
        facts["chain_bytes"] = .number(Double(binding.chainBytes))
        facts["last_line_bytes"] = .number(Double(binding.lastLineBytes))
        facts["last_line_sha256"] = .string(binding.lastLineHash.hex)
        let factBytes = JSONValue.object(facts).canonicalBytes()
        let keys = state.snapshotKeys()
        var out = Self.magic
        out.reserveCapacity(out.count + factBytes.count + keys.count + blockHashes.count * 36 + 64)
        Self.appendLength(factBytes.count, to: &out)
        out += factBytes
        Self.appendLength(keys.count, to: &out)
        out += keys
        Self.appendLength(blockHashes.count * 36, to: &out)
        for (hash, bits) in zip(blockHashes, blockBits) {
            out += hash.bytes
            withUnsafeBytes(of: bits.littleEndian) { out += $0 }
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
        let keys = try section()
        let blocks = try section()
        guard at == body, blocks.count % 36 == 0 else { throw .format("sections do not fill the file") }
        let state = try ChainState(snapshotFacts: facts, keys: keys)
        guard let chainBytes = facts["chain_bytes"]?.integerValue, let lineBytes = facts["last_line_bytes"]?.integerValue,
              let lineHash = facts["last_line_sha256"]?.stringValue.flatMap(SHA256Digest.init(hex:)),
              chainBytes >= lineBytes, lineBytes > 0 else {
            throw .format("no binding to a chain file")
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
        guard Int64(hashes.count) == state.height + 1, hashes.last == state.tip else {
            throw .format("its block list does not end at its tip")
        }
        return ChainSnapshot(state: state, binding: Binding(chainBytes: chainBytes, lastLineBytes: lineBytes, lastLineHash: lineHash),
                             blockHashes: hashes, blockBits: bits)
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
