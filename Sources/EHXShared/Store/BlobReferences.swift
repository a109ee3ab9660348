#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The blobs a chain names: the sealed parts of its stored bodies (with
/// the patient pseudonym each is about) and the images of its firmware
/// releases. What a replica should hold (`blobs --missing`) and what an
/// erasure for one patient lists (`blobs --erasure-body`).
public struct BlobReferences: Sendable {
    public struct Stored: Sendable {
        public let blob: SHA256Digest
        public let patient: String
        public let txid: SHA256Digest
    }

    public private(set) var stored: [Stored] = []
    public private(set) var firmware: [SHA256Digest] = []

    public init() {}

    public mutating func add(_ block: Block) {
        for tx in block.txs { add(tx) }
    }

    mutating func add(_ tx: Transaction) {
        switch tx.type {
        case .reading, .alert:
            guard StoredBody.isStored(tx.body), let body = try? StoredBody(parsing: tx.body) else { return }
            stored.append(Stored(blob: body.blob, patient: body.patient, txid: tx.txid))
        case .firmware:
            if let release = try? FirmwareRelease(parsing: tx.body), !release.revoked { firmware.append(release.sha256) }
        default:
            return
        }
    }

    /// Reads every line of the chain file (not judged: see ehx-verify).
    /// A transaction names a blob only through a member `"stored"` (a
    /// stored body) or the type `"firmware"`, which its bytes hold as such
    /// or escaped (a backslash). So on a line laid out as a canonical block
    /// line only the transactions that hold one of the three are parsed,
    /// and a replica's `blobs --missing` costs about reading the file, not
    /// parsing every reading in it (17.4 s to 1.7 s at 10^6 transactions).
    /// A line that cannot be cut, or whose marked transaction is not a
    /// canonical transaction, is read whole as before, which names its
    /// problem; a damaged transaction that names no blob is stepped over,
    /// as `ehx-query tip` steps over it.
    public static func scan(chain: String) throws(ToolError) -> BlobReferences {
        var refs = BlobReferences()
        try ChainReader.forEachSplitLine(path: chain) { (line, split) throws(ToolError) in
            do throws(ChainProblem) { try refs.add(line: line.bytes, split: split) } catch {
                throw ToolError(.dataErr, "\(chain):\(line.number): \(error)")
            }
            return true
        }
        return refs
    }

    /// One block line's references; `split`: the line cut by
    /// `BlockLine.split`. What `add(BlockLine.parse(line))` adds for any line
    /// that parses (`make fuzz`'s block target holds the two to each other).
    mutating func add(line: [UInt8], split: BlockLine.Split?) throws(ChainProblem) {
        if let split, let txs = Self.naming(line, split) {
            for tx in txs { add(tx) }
        } else {
            add(try BlockLine.parse(line))
        }
    }

    /// The transactions of a cut line that may name a blob, each read
    /// exactly; nil when one of them is not a canonical transaction.
    private static func naming(_ line: [UInt8], _ split: BlockLine.Split) -> [Transaction]? {
        line.withUnsafeBytes { raw -> [Transaction]? in
            var found: [Transaction] = []
            for range in split.txs {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
                guard mayNameBlob(bytes) else { continue }
                guard let tx = Transaction.exactly(bytes) else { return nil }
                found.append(tx)
            }
            return found
        }
    }

    static func mayNameBlob(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        let end = base + bytes.count
        /// `text` (which starts with a quote) anywhere in the bytes: memchr to each quote, then memcmp.
        func holds(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            var at = base
            while end - at >= n, let quote = memchr(at, Int32(text.utf8Start[0]), end - at) {
                let start = UnsafeRawPointer(quote)
                if end - start >= n, memcmp(start, text.utf8Start, n) == 0 { return true }
                at = start + 1
            }
            return false
        }
        return memchr(base, 0x5c, bytes.count) != nil || holds("\"stored\"") || holds("\"firmware\"")
    }

    /// Every named blob once, stored bodies first, in chain order.
    public var all: [SHA256Digest] {
        var seen: Set<SHA256Digest> = []
        return (stored.map(\.blob) + firmware).filter { seen.insert($0).inserted }
    }
}
