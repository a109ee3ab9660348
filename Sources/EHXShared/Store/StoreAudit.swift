/// `ehx-verify --store DIR`: the store against the chain. Every stored body
/// the chain references must be in the store, intact and bound to its
/// transaction, unless a valid erasure named it; a blob the chain erased
/// must be gone. The chain's own verdict never depends on a store: this
/// only adds problems when one is given.
public struct StoreAudit {
    struct Reference {
        let body: StoredBody
        let txid: SHA256Digest
        let height: Int64
        let line: Int
    }

    public let store: BlobStore
    private var references: [Reference] = []

    public init(store: BlobStore) { self.store = store }

    /// Notes the stored bodies of a block read from `line`.
    public mutating func note(_ block: Block, line: Int) {
        for tx in block.txs where (tx.type == .reading || tx.type == .alert) && tx.hasStoredBody {
            guard let body = try? StoredBody(parsing: tx.body) else { continue }
            references.append(Reference(body: body, txid: tx.txid, height: block.height, line: line))
        }
    }

    /// How many stored bodies were noted.
    public var referenceCount: Int { references.count }

    /// The problems, in chain order, given the chain's erasures
    /// (`ChainState.erasures` at the tip).
    /// Erased blobs no stored body references (a firmware image, say) are
    /// reported at `lastLine` and `height`, the chain's end.
    public func check(erasures: [SHA256Digest: SHA256Digest], lastLine: Int, height: Int64) -> [AuditReport] {
        var reports: [AuditReport] = []
        let referenced = Set(references.map(\.body.blob))
        for (blob, erasure) in erasures.sorted(by: { $0.key.hex < $1.key.hex }) where !referenced.contains(blob) && store.hasFile(blob) {
            reports.append(AuditReport(line: lastLine, height: height, problem: ChainProblem(
                .erasedPresent, "blob \(blob.hex) was erased by \(erasure.hex) but is still in the store (\(store.file(of: blob))); run ehx-query --store \(store.path) blobs --sync")))
        }
        for ref in references {
            let blob = ref.body.blob
            func report(_ rule: ChainProblem.Rule, _ detail: String) {
                reports.append(AuditReport(line: ref.line, height: ref.height, problem: ChainProblem(rule, detail, txid: ref.txid)))
            }
            if let erasure = erasures[blob] {
                if store.hasFile(blob) {
                    report(.erasedPresent, "blob \(blob.hex) was erased by \(erasure.hex) but is still in the store (\(store.file(of: blob))); run ehx-query --store \(store.path) blobs --sync")
                }
                continue
            }
            switch ref.body.open(in: store) {
            case .sealed: break
            case .missing: report(.blobMissing, "blob \(blob.hex) is not in the store and no erasure on the chain names it")
            case .erased(let txid):
                // A tombstone the chain does not back: the store deleted what it still needs.
                report(.blobMissing, "blob \(blob.hex) is marked erased (by \(txid.hex)) in the store, but no erasure on the chain names it")
            case .bad(let why): report(.blobCorrupt, why)
            }
        }
        return reports
    }
}
