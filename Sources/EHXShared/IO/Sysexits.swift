/// Exit statuses (DESIGN "Pipeline"): BSD sysexits plus 1 for "checked and found bad".
public enum Sysexits: Int32, Sendable, CaseIterable {
    case ok = 0
    case checkedBad = 1
    /// ehx-verify --proof: consistent, but no anchor at or above the proof's
    /// block (a checkpoint, the expected tip, a minimum of work) vouches for it.
    case notAnchored = 2
    case usage = 64
    case dataErr = 65
    case noInput = 66
    case cantCreate = 73
    case ioErr = 74
    case tempFail = 75
    case noPerm = 77
}

/// An error a tool reports as one line on stderr and turns into an exit status.
public protocol ToolFailure: Error, CustomStringConvertible {
    var exitStatus: Sysexits { get }
}

extension KeyFileError: ToolFailure {
    public var exitStatus: Sysexits { Sysexits(rawValue: exitCode) ?? .dataErr }
}

/// A failure that is only a message and a status.
public struct ToolError: ToolFailure, Sendable {
    public let exitStatus: Sysexits
    public let description: String

    public init(_ status: Sysexits, _ message: String) {
        exitStatus = status
        description = message
    }
}
