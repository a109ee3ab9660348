import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Keygen {
    struct Pseudonym: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a pseudonym key file (32 random bytes, base64url, 0600) for ehx-sign --seal.",
            discussion: "Sealed readings carry HMAC-SHA256 pseudonyms of the patient and device ids under this key instead of the ids. The authority keeps it and gives it to its gateways; whoever holds it can test a guessed id against the chain, so it is as secret as the ids. The key is never printed."
        )

        @Option(name: .shortAndLong, help: "The file to create (never overwritten).", completion: .file())
        var output: String

        func run() throws {
            try reportingFailures(Diagnostics(tool: "ehx-keygen")) {
                try KeyFile.createPseudonymKey(path: output)
                print(JSONValue.object(["pseudonym_key": .string(output)]).canonicalString)
            }
        }
    }
}
