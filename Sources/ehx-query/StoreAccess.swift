import EHXCommandLine
import EHXShared

extension Query {
    /// `--store`, brought in line with the chain first: the chain is
    /// validated (LocalChain, snapshot and all) and every blob a valid
    /// erasure names is deleted, so nothing erased is ever opened from it.
    /// nil without --store.
    func followedStore(diagnostics: Diagnostics, create: Bool = false) throws(ToolError) -> BlobStore? {
        guard let store else { return nil }
        let blobs = try BlobStore(path: store, create: create)
        let state = try LocalChain.open(chain: chain, now: Timestamp.now().unixSeconds, threads: ParallelStage.onlineCores,
                                        diagnostics: diagnostics).state
        let removed = try blobs.follow(erasures: state.erasures)
        if removed > 0 { diagnostics.note("\(store): \(Plural.count(removed, "erased blob")) deleted, as the chain's erasures say") }
        return blobs
    }
}
