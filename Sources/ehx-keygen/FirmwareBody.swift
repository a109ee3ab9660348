import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Keygen {
    struct FirmwareBody: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "firmware",
            abstract: "Print the body of a firmware transaction for an image: vendor, model, version, sha256 and size.",
            discussion: "sha256 and size are computed from FILE. Sign the line with ehx-sign --type firmware --key MANUFACTURER.key; the chain counts it only if that key holds the manufacturer role. With --revoke the body withdraws that release (same vendor, model, version and image)."
        )

        @Argument(help: "The firmware image.", completion: .file())
        var file: String

        @Option(help: "The manufacturer's name.")
        var vendor: String

        @Option(help: "The device model the image is for.")
        var model: String

        @Option(help: "The release's version string.")
        var version: String

        @Option(help: "Where the image can be fetched (informational).")
        var url: String?

        @Flag(help: "Make a revocation of this release instead of a release.")
        var revoke = false

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                let (digest, size) = try SHA256File.digest(path: file)
                let release = FirmwareRelease(vendor: vendor, model: model, version: version, sha256: digest, size: size,
                                              url: url, revoked: revoke)
                // Checked as the chain will check it, so a bad name is a usage error now.
                do { _ = try FirmwareRelease(parsing: release.json) } catch {
                    throw ToolError(.usage, "\(error)")
                }
                print(release.json.canonicalString)
            }
        }
    }
}
