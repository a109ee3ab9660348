import ArgumentParser
import EHXShared

/// `--allow-foreign-owner`, for every tool that writes into a directory
/// (a spool, or the directory of --rejects, --alerts, --state, a report).
/// By default such a directory, and a file appended to, must belong to the
/// user running the tool or to root: their owner can swap anything in them.
public struct OwnershipOptions: ParsableArguments {
    @Flag(help: "Write into directories (a spool, the directory of an output file) that another account owns; that account could swap what is written there, so give it only for an account you trust.")
    public var allowForeignOwner = false

    public init() {}

    /// Call first in `run`, before any file is opened.
    public func apply() {
        if allowForeignOwner { SafeDirectory.allowForeignOwners() }
    }
}
