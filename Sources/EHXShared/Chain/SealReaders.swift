/// Who may read a sealed body of each kind at one block: `sealRecipients`
/// as a table from kid to widest view, worked out once per kind and block
/// instead of once per sealed transaction. Roles, reader keys and the
/// policy change only when a block becomes the tip (`ChainState.advance`),
/// so one table holds for every transaction of a block or a candidate.
struct SealReaders {
    private var byKind: [ReadingKind: [String: ReadView]] = [:]

    mutating func allowed(kind: ReadingKind, in state: ChainState) -> [String: ReadView] {
        if let known = byKind[kind] { return known }
        var allowed: [String: ReadView] = [:]
        for recipient in state.sealRecipients(kind: kind) { allowed[recipient.kid] = recipient.view }
        byKind[kind] = allowed
        return allowed
    }
}
