/// Why a key or secret file could not be read or written. Messages name the
/// path and the reason, never the file's contents or a passphrase.
public enum KeyFileError: Error, CustomStringConvertible, Equatable, Sendable {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case insecurePermissions(path: String, mode: UInt32)
    /// Owned by another user than the tool's or root, who could replace it.
    case foreignOwner(path: String, uid: UInt32)
    case malformed(path: String, detail: String)
    case wrongPassphrase(path: String)
    case passphraseRequired(path: String)
    case exists(path: String)
    case cannotCreate(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missing(path):
            return "\(path): cannot read: no such file or directory"
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .insecurePermissions(path, mode):
            return "\(path): permissions \(Self.octal(mode)) are too open; run chmod 600 \(path)"
        case let .foreignOwner(path, uid):
            return "\(path): owned by uid \(uid), not by this user or root; whoever owns it could replace it (run chown)"
        case let .malformed(path, detail):
            return "\(path): \(detail)"
        case let .wrongPassphrase(path):
            return "\(path): wrong passphrase"
        case let .passphraseRequired(path):
            return "\(path): the key is encrypted; give a passphrase with --passphrase-file or EHX_PASSPHRASE"
        case let .exists(path):
            return "\(path): cannot create: it already exists (never overwritten)"
        case let .cannotCreate(path, reason):
            return "\(path): cannot create: \(reason)"
        }
    }

    /// sysexits(3) codes, so scripts can tell bad input from bad setup.
    public var exitCode: Int32 {
        switch self {
        case .missing, .unreadable: return 66                                  // EX_NOINPUT
        case .malformed: return 65                                             // EX_DATAERR
        case .insecurePermissions, .foreignOwner, .wrongPassphrase, .passphraseRequired: return 77  // EX_NOPERM
        case .exists, .cannotCreate: return 73                                 // EX_CANTCREAT
        }
    }

    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
