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
        for tx in block.txs {
            switch tx.type {
            case .reading, .alert:
                guard StoredBody.isStored(tx.body), let body = try? StoredBody(parsing: tx.body) else { continue }
                stored.append(Stored(blob: body.blob, patient: body.patient, txid: tx.txid))
            case .firmware:
                if let release = try? FirmwareRelease(parsing: tx.body), !release.revoked { firmware.append(release.sha256) }
            default:
                continue
            }
        }
    }

    /// Reads every block of the chain file (not judged: see ehx-verify).
    public static func scan(chain: String) throws(ToolError) -> BlobReferences {
        var refs = BlobReferences()
        try ChainReader.forEachBlock(path: chain) { (_, block, _) throws(ToolError) in refs.add(block) }
        return refs
    }

    /// Every named blob once, stored bodies first, in chain order.
    public var all: [SHA256Digest] {
        var seen: Set<SHA256Digest> = []
        return (stored.map(\.blob) + firmware).filter { seen.insert($0).inserted }
    }
}
