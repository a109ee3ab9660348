import Foundation
import Testing
@testable import EHXShared
import EHXTestSupport

/// Runs the system `openssl` binary; these tests are skipped when it is absent.
enum OpenSSLCLI {
    static let path: String? = {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/openssl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var available: Bool { path != nil }

    struct Outcome { let status: Int32; let output: String }

    static func run(_ arguments: [String]) throws -> Outcome {
        let (ended, data) = try ChildProcess.output(of: try #require(path), arguments)
        return Outcome(status: ended.signaled ? -1 : ended.status, output: String(decoding: data, as: UTF8.self))
    }
}
extension CryptoTests {
    @Suite(.enabled(if: OpenSSLCLI.available)) struct OpenSSLInteropTests {
        @Test func opensslReadsOurKeyAndDerivesSamePublicKey() throws {
            try TemporaryDirectory.with { dir in
                let key = try Ed25519.PrivateKey()
                try KeyFile.writePrivateKey(key, path: dir.path("k.pem"), passphrase: nil)
                #expect(try OpenSSLCLI.run(["pkey", "-in", dir.path("k.pem"), "-noout"]).status == 0)
                let derived = try OpenSSLCLI.run(["pkey", "-in", dir.path("k.pem"), "-pubout"])
                #expect(derived.status == 0)
                #expect(derived.output == key.publicKey.pemRepresentation)
            }
        }

        @Test func weReadOpensslGeneratedKey() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("gen.pem")
                #expect(try OpenSSLCLI.run(["genpkey", "-algorithm", "ed25519", "-out", path]).status == 0)
                try dir.chmod("gen.pem", 0o600)
                let key = try KeyFile.readPrivateKey(path: path, passphrase: nil)
                let pub = try OpenSSLCLI.run(["pkey", "-in", path, "-pubout"])
                #expect(pub.status == 0)
                #expect(try Ed25519.PublicKey(pemRepresentation: pub.output) == key.publicKey)
            }
        }

        @Test func opensslVerifiesOurSignature() throws {
            try TemporaryDirectory.with { dir in
                let key = try Ed25519.PrivateKey()
                let message = Array("{\"bpm\":72,\"device\":\"sensor-1\"}".utf8)
                try Data(message).write(to: URL(fileURLWithPath: dir.path("msg")))
                try Data(try key.signature(for: message)).write(to: URL(fileURLWithPath: dir.path("sig")))
                try KeyFile.writePublicKey(key.publicKey, path: dir.path("pub.pem"))
                let verify = ["pkeyutl", "-verify", "-pubin", "-inkey", dir.path("pub.pem"), "-rawin",
                              "-in", dir.path("msg"), "-sigfile", dir.path("sig")]
                #expect(try OpenSSLCLI.run(verify).status == 0)

                // And the check can fail: a different message must not verify.
                try Data(message + [0x20]).write(to: URL(fileURLWithPath: dir.path("msg")))
                #expect(try OpenSSLCLI.run(verify).status != 0)
            }
        }

        @Test func opensslSignatureVerifiesHere() throws {
            try TemporaryDirectory.with { dir in
                #expect(try OpenSSLCLI.run(["genpkey", "-algorithm", "ed25519", "-out", dir.path("k.pem")]).status == 0)
                let message = Array("reading".utf8)
                try Data(message).write(to: URL(fileURLWithPath: dir.path("msg")))
                #expect(try OpenSSLCLI.run(["pkeyutl", "-sign", "-inkey", dir.path("k.pem"), "-rawin",
                                            "-in", dir.path("msg"), "-out", dir.path("sig")]).status == 0)
                let signature = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path("sig"))))
                try dir.chmod("k.pem", 0o600)
                let key = try KeyFile.readPrivateKey(path: dir.path("k.pem"), passphrase: nil)
                #expect(key.publicKey.isValidSignature(signature, for: message))
                // Ed25519 is deterministic, so both implementations sign identically.
                #expect(try key.signature(for: message) == signature)
            }
        }

        @Test func opensslReadsOurEncryptedKey() throws {
            try TemporaryDirectory.with { dir in
                let key = try Ed25519.PrivateKey()
                try KeyFile.writePrivateKey(key, path: dir.path("k.pem"), passphrase: Array("open sesame".utf8))
                let derived = try OpenSSLCLI.run(["pkey", "-in", dir.path("k.pem"), "-passin", "pass:open sesame", "-pubout"])
                #expect(derived.status == 0)
                #expect(derived.output == key.publicKey.pemRepresentation)
                #expect(try OpenSSLCLI.run(["pkey", "-in", dir.path("k.pem"), "-passin", "pass:nope", "-noout"]).status != 0)
            }
        }

        @Test func weReadOpensslEncryptedKey() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("enc.pem")
                #expect(try OpenSSLCLI.run(["genpkey", "-algorithm", "ed25519", "-aes-256-cbc",
                                            "-pass", "pass:pw123", "-out", path]).status == 0)
                try dir.chmod("enc.pem", 0o600)
                #expect(throws: Never.self) { try KeyFile.readPrivateKey(path: path, passphrase: Array("pw123".utf8)) }
                #expect(throws: KeyFileError.wrongPassphrase(path: path)) {
                    try KeyFile.readPrivateKey(path: path, passphrase: Array("pw124".utf8))
                }
                #expect(throws: KeyFileError.passphraseRequired(path: path)) {
                    try KeyFile.readPrivateKey(path: path, passphrase: nil)
                }
            }
        }

        @Test func nonEd25519KeyIsRejected() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("x25519.pem")
                #expect(try OpenSSLCLI.run(["genpkey", "-algorithm", "x25519", "-out", path]).status == 0)
                let pem = try String(contentsOfFile: path, encoding: .utf8)
                #expect(throws: CryptoError.invalidKey("not an Ed25519 key")) { try Ed25519.PrivateKey(pemRepresentation: pem) }
                let pub = try OpenSSLCLI.run(["pkey", "-in", path, "-pubout"]).output
                #expect(throws: CryptoError.invalidKey("not an Ed25519 key")) { try Ed25519.PublicKey(pemRepresentation: pub) }
            }
        }
    }
}
