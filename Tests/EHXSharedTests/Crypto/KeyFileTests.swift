import Foundation
import Testing
@testable import EHXShared
extension CryptoTests {
    @Suite struct KeyFileTests {
        @Test func privateKeyRoundTripIsCreated0600() throws {
            try TemporaryDirectory.with { dir in
                let key = try Ed25519.PrivateKey()
                try KeyFile.writePrivateKey(key, path: dir.path("k.pem"), passphrase: nil)
                #expect(try dir.mode("k.pem") == 0o600)
                #expect(try KeyFile.readPrivateKey(path: dir.path("k.pem"), passphrase: nil).publicKey == key.publicKey)

                try KeyFile.writePublicKey(key.publicKey, path: dir.path("k.pub"))
                #expect(try dir.mode("k.pub") == 0o644)
                #expect(try KeyFile.readPublicKey(path: dir.path("k.pub")) == key.publicKey)
            }
        }

        @Test func refusesGroupOrWorldReadablePrivateKey() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("k.pem")
                try KeyFile.writePrivateKey(try Ed25519.PrivateKey(), path: path, passphrase: nil)
                try dir.chmod("k.pem", 0o644)
                #expect(throws: KeyFileError.insecurePermissions(path: path, mode: 0o644)) {
                    try KeyFile.readPrivateKey(path: path, passphrase: nil)
                }
                #expect(KeyFileError.insecurePermissions(path: path, mode: 0o644).description
                    == "\(path): permissions 0644 are too open; run chmod 600 \(path)")
                #expect(KeyFileError.insecurePermissions(path: path, mode: 0o644).exitCode == 77)
                try dir.chmod("k.pem", 0o640)
                #expect(throws: KeyFileError.insecurePermissions(path: path, mode: 0o640)) {
                    try KeyFile.readPrivateKey(path: path, passphrase: nil)
                }
                try dir.chmod("k.pem", 0o400)
                #expect(throws: Never.self) { try KeyFile.readPrivateKey(path: path, passphrase: nil) }
            }
        }

        @Test func refusesToOverwrite() throws {
            try TemporaryDirectory.with { dir in
                let key = try Ed25519.PrivateKey()
                let path = dir.path("k.pem")
                try KeyFile.writePrivateKey(key, path: path, passphrase: nil)
                let before = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(throws: KeyFileError.exists(path: path)) {
                    try KeyFile.writePrivateKey(try Ed25519.PrivateKey(), path: path, passphrase: nil)
                }
                #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
                let pub = dir.path("k.pub")
                try KeyFile.writePublicKey(key.publicKey, path: pub)
                #expect(throws: KeyFileError.exists(path: pub)) { try KeyFile.writePublicKey(key.publicKey, path: pub) }
                #expect(KeyFileError.exists(path: pub).exitCode == 73)
            }
        }

        @Test func encryptedKeyPassphraseErrors() throws {
            try TemporaryDirectory.with { dir in
                let key = try Ed25519.PrivateKey()
                let path = dir.path("k.pem")
                try KeyFile.writePrivateKey(key, path: path, passphrase: Array("right".utf8))
                #expect(try KeyFile.readPrivateKey(path: path, passphrase: Array("right".utf8)).publicKey == key.publicKey)
                #expect(throws: KeyFileError.wrongPassphrase(path: path)) {
                    try KeyFile.readPrivateKey(path: path, passphrase: Array("wrong".utf8))
                }
                #expect(throws: KeyFileError.passphraseRequired(path: path)) {
                    try KeyFile.readPrivateKey(path: path, passphrase: nil)
                }
            }
        }

        @Test func malformedAndMissing() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("garbage.pem")
                try KeyFile.writeSecretFileAtomically(path: path, contents: Array("not a key\n".utf8))
                let privateError = #expect(throws: KeyFileError.self) { try KeyFile.readPrivateKey(path: path, passphrase: nil) }
                guard case .malformed(path: path, detail: _)? = privateError else { Issue.record("got \(String(describing: privateError))"); return }
                #expect(privateError?.exitCode == 65)
                let publicError = #expect(throws: KeyFileError.self) { try KeyFile.readPublicKey(path: path) }
                guard case .malformed(path: path, detail: _)? = publicError else { Issue.record("got \(String(describing: publicError))"); return }
                let binary = dir.path("binary")
                try KeyFile.writeSecretFileAtomically(path: binary, contents: [0xff, 0xfe, 0x00])
                #expect(throws: KeyFileError.self) { try KeyFile.readPrivateKey(path: binary, passphrase: nil) }
                let missing = dir.path("absent.pem")
                #expect(throws: KeyFileError.missing(path: missing)) { try KeyFile.readPrivateKey(path: missing, passphrase: nil) }
                #expect(KeyFileError.missing(path: missing).exitCode == 66)
                #expect(throws: KeyFileError.self) { try KeyFile.readPrivateKey(path: dir.url.path, passphrase: nil) }
            }
        }

        @Test func cannotCreateInMissingDirectory() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("no/such/dir/k.pem")
                let key = try Ed25519.PrivateKey()
                let error = #expect(throws: KeyFileError.self) { try KeyFile.writePrivateKey(key, path: path, passphrase: nil) }
                guard case .cannotCreate(path: path, reason: _)? = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(error?.exitCode == 73)
            }
        }

        @Test func secretFileAtomicWriteAndPermissionCheck() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("psk")
                try KeyFile.writeSecretFileAtomically(path: path, contents: [1, 2, 3])
                #expect(try dir.mode("psk") == 0o600)
                #expect(try KeyFile.readSecretFile(path: path) == [1, 2, 3])
                try KeyFile.writeSecretFileAtomically(path: path, contents: [4, 5])
                #expect(try KeyFile.readSecretFile(path: path) == [4, 5])
                // No temporaries left behind.
                #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["psk"])
                try dir.chmod("psk", 0o604)
                #expect(throws: KeyFileError.insecurePermissions(path: path, mode: 0o604)) {
                    try KeyFile.readSecretFile(path: path)
                }
            }
        }

        @Test func temporaryNameStaysInTargetDirectory() {
            // The atomic write renames within one directory; check the split it relies on
            // without chdir (the cwd is process-wide and tests run in parallel).
            #expect(SafeDirectory.split("psk") == ("", "psk"))
            #expect(SafeDirectory.split("/psk") == ("/", "psk"))
            #expect(SafeDirectory.split("a/b/psk") == ("a/b", "psk"))
        }

        @Test func passphraseFromFile() throws {
            try TemporaryDirectory.with { dir in
                let path = dir.path("pass")
                // A regular passphrase file is held to 0600, like a key file.
                func write(_ text: String) throws {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
                    chmod(path, 0o600)
                }
                try write("hunter2\r\nsecond line\n")
                #expect(try Passphrase.load(file: path) == Array("hunter2".utf8))
                try write("no-newline")
                #expect(try Passphrase.load(file: path) == Array("no-newline".utf8))
                chmod(path, 0o644)
                #expect(throws: KeyFileError.insecurePermissions(path: path, mode: 0o644)) { try Passphrase.load(file: path) }
                try write("\n")
                #expect(throws: KeyFileError.self) { try Passphrase.load(file: path) }
                #expect(throws: KeyFileError.missing(path: dir.path("absent"))) { try Passphrase.load(file: dir.path("absent")) }
            }
        }

        @Test func passphraseFromEnvironment() throws {
            // Only Passphrase reads this variable, so changing it cannot disturb parallel tests.
            let name = Passphrase.environmentVariable
            let saved = ProcessInfo.processInfo.environment[name]
            defer { if let saved { setenv(name, saved, 1) } else { unsetenv(name) } }
            unsetenv(name)
            #expect(try Passphrase.load(file: nil) == nil)
            setenv(name, "from-env", 1)
            #expect(try Passphrase.load(file: nil) == Array("from-env".utf8))
            setenv(name, "", 1)
            #expect(try Passphrase.load(file: nil) == nil)
        }
    }
}
