/// Break-glass (issue 16, item 6): opening through the read policy's
/// emergency key is bounded and recorded before anything is opened.
///
/// - Only a key that holds, at the chain's tip, a role that may sign
///   `access` records and that the policy lets read some kind in the full
///   view may break glass: its access record is then one the chain accepts,
///   and the policy already trusts that role with whole bodies.
/// - An emergency opening covers one patient (an id or, for sealed
///   records, the pseudonym in clear) and a window of at most 72 hours.
/// - Its access record (reason `emergency`) is in the audit spool, fsynced,
///   before any of its plaintext is printed (`ehx-query txs`).
public enum BreakGlass {
    public static let maxWindowMilliseconds: Int64 = 72 * 3_600_000

    /// The roles of `key` that allow it to break glass under `state`.
    public static func permittingRoles(of key: Ed25519.PublicKey, in state: ChainState) -> [Role] {
        guard let policy = state.readPolicy else { return [] }
        return state.roles(of: key).sorted().filter { role in
            role.maySign.contains(.access) && ReadingKind.allCases.contains { policy.view(for: role, kind: $0) == .full }
        }
    }

    /// Refuses (exit 77) a key that may not break glass, before anything is opened.
    public static func authorize(_ key: Ed25519.PublicKey, keyName: String, in state: ChainState) throws(ToolError) {
        guard permittingRoles(of: key, in: state).isEmpty else { return }
        let held = state.roles(of: key).sorted().map(\.rawValue)
        throw ToolError(.noPerm, "\(keyName): key \(key.id.hex.prefix(16)) holds \(held.isEmpty ? "no role" : "only " + held.joined(separator: ", ")) at height \(state.height); break-glass needs a role that signs access records and that the read policy lets read full bodies (its record would otherwise be refused by the chain); nothing opened")
    }

    /// The window `--since`..`--until` (until: now) must be at most 72 hours.
    public static func checkWindow(since: Timestamp, until: Timestamp?) throws(ToolError) {
        let end = until ?? Timestamp.now()
        let span = end.millisecondsSince1970 - since.millisecondsSince1970
        guard span > 0, span <= maxWindowMilliseconds else {
            throw ToolError(.usage, "--break-glass: the window --since..--until must be positive and at most 72 hours (it is \(span / 3_600_000) h)")
        }
    }
}
