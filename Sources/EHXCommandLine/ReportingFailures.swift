import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EHXShared

/// Runs a command's body and turns any failure into one line on stderr and
/// a sysexits status, so every tool fails the same way.
public func reportingFailures(_ diagnostics: Diagnostics, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let failure as any ToolFailure {
        // 75 (a lock held, a deadline reached) is "try again later", which
        // cron runs expect and do not treat as errors: --quiet silences it.
        if failure.exitStatus == .tempFail { diagnostics.note(failure.description) } else { diagnostics.error(failure.description) }
        throw ExitCode(failure.exitStatus.rawValue)
    } catch let error as RecordError {
        diagnostics.error(error.description)
        throw ExitCode(Sysexits.dataErr.rawValue)
    } catch let error as CryptoError {
        diagnostics.error(error.description)
        throw ExitCode(Sysexits.dataErr.rawValue)
    } catch {
        diagnostics.error(String(describing: error))
        throw ExitCode(70) // EX_SOFTWARE: a failure this code did not foresee
    }
}

/// Exits with `status` unless it is success.
public func exitUnlessOK(_ status: Sysexits) throws {
    if status != .ok { throw ExitCode(status.rawValue) }
}

/// Loads a private key with the passphrase from --passphrase-file or EHX_PASSPHRASE.
public func loadSigningKey(path: String, passphraseFile: String?) throws -> Ed25519.PrivateKey {
    try KeyFile.readPrivateKey(path: path, passphrase: try Passphrase.load(file: passphraseFile))
}

/// A role named on the command line; a wrong one is a usage error (64), not bad input data.
public func roleArgument(_ text: String) throws(ToolError) -> Role {
    do { return try Role.parse(text) } catch { throw ToolError(.usage, "unknown role \"\(text)\" (known: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))") }
}

public func fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}
