import EHXShared
import Foundation
import Testing

/// What an auditor can check without ehx: key files with openssl, a
/// transaction signature with openssl pkeyutl, a block hash with xxd and
/// openssl dgst. Plus the private-key permission rule.
@Suite struct EndToEndInterop {
    static let haveOpenSSL = Tool.hasCommand("openssl")
    static let haveOpenSSLAndXxd = Tool.hasCommand("openssl") && Tool.hasCommand("xxd")

    /// base64url without padding, decoded with Foundation (not ehx's decoder).
    static func base64URLDecode(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }

    @Test(.enabled(if: haveOpenSSL, "needs the openssl command"))
    func opensslReadsKeygenKeys() throws {
        let dir = try Scratch("interop-keys")
        defer { dir.remove() }
        for role in ["authority", "gateway", "miner"] {
            let made = try Tool.run("ehx-keygen", ["key", "--role", role, "-o", dir.path(role)])
            #expect(made.status == 0, "\(made)")
            let key = dir.path(role + ".key"), pub = dir.path(role + ".pub")
            #expect(try Files.mode(key) == 0o600, "\(role).key must be created 0600")
            let check = try Tool.run("/usr/bin/env", ["openssl", "pkey", "-in", key, "-noout"])
            #expect(check.status == 0, "\(check)")
            let derived = try Tool.run("/usr/bin/env", ["openssl", "pkey", "-in", key, "-pubout"])
            #expect(derived.status == 0, "\(derived)")
            #expect(derived.out == (try String(contentsOfFile: pub, encoding: .utf8)), "openssl's public key equals \(role).pub")
            // The id printed by keygen is the SHA-256 of the raw key inside the SPKI.
            let der = try Tool.run("/usr/bin/env", ["openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER"])
            let line = try JSONLine.object(made.out)
            #expect(der.stdout.count == 44)
            #expect(Self.base64URLDecode(line["key"] as? String ?? "") == der.stdout.suffix(32))
        }
    }

    @Test(.enabled(if: haveOpenSSL, "needs the openssl command"))
    func transactionSignatureVerifiesWithOpenSSL() throws {
        let dir = try Scratch("interop-sig")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 40, maxTxs: 20)
        let txLine = try #require(try f.query(["txs", "--type", "reading", "--raw"]).outLines.first)

        // The signer is the gateway's raw key, as openssl sees gateway.pub.
        let der = try Tool.run("/usr/bin/env", ["openssl", "pkey", "-pubin", "-in", f.gatewayPub, "-outform", "DER"])
        let tx = try JSONLine.object(txLine)
        #expect(Self.base64URLDecode(tx["signer"] as? String ?? "") == der.stdout.suffix(32))

        // MSG = "ehx-tx-v1\n" || JCS(tx without sig); SIG = base64url(sig).
        let unsigned = try JSONValue.parse(txLine).setting(["sig"], to: nil)
        let message = Data("ehx-tx-v1\n".utf8) + Data(unsigned.canonicalBytes())
        let signature = try #require(Self.base64URLDecode(tx["sig"] as? String ?? ""))
        #expect(signature.count == 64)
        try Files.write(dir.path("msg"), message)
        try Files.write(dir.path("sig"), signature)
        let verified = try Tool.run("/usr/bin/env", ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", f.gatewayPub,
                                                     "-rawin", "-in", dir.path("msg"), "-sigfile", dir.path("sig")])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.out.contains("Signature Verified Successfully"), "\(verified)")

        // Control: one changed byte of the message must not verify.
        var forged = message
        forged[forged.count - 2] ^= 0x01
        try Files.write(dir.path("forged"), forged)
        let refused = try Tool.run("/usr/bin/env", ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", f.gatewayPub,
                                                    "-rawin", "-in", dir.path("forged"), "-sigfile", dir.path("sig")])
        #expect(refused.status != 0, "\(refused)")
    }

    @Test(.enabled(if: haveOpenSSLAndXxd, "needs the openssl and xxd commands"))
    func blockHashRecomputesWithXxdAndOpenSSL() throws {
        let dir = try Scratch("interop-hash")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 80, maxTxs: 20)
        let block = try JSONLine.object(Data(try f.chainLines()[3]))
        let hash = try #require(block["hash"] as? String)
        #expect(block["height"] as? Int == 3)

        // The header hex, rebuilt here from the block's JSON: Bitcoin's 80 bytes.
        let headerHex = try f.query(["block", "3", "--header-hex"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let header = try #require(block["header"] as? [String: Any])
        func le32(_ v: Any?) -> String {
            let n = UInt32((v as? NSNumber)?.uint64Value ?? 0)
            return (0..<4).map { String(format: "%02x", (n >> (8 * $0)) & 0xff) }.joined()
        }
        func reversedHex(_ hex: String) -> String {
            stride(from: 0, to: hex.count, by: 2).map { i -> String in
                let s = hex.index(hex.startIndex, offsetBy: i)
                return String(hex[s..<hex.index(s, offsetBy: 2)])
            }.reversed().joined()
        }
        let bits = UInt32(header["bits"] as? String ?? "", radix: 16).map { NSNumber(value: $0) }
        let expected = le32(header["version"]) + reversedHex(header["prev"] as? String ?? "")
            + reversedHex(header["merkle"] as? String ?? "") + le32(header["time"]) + le32(bits) + le32(header["nonce"])
        #expect(headerHex == expected)
        #expect(headerHex.count == 160)

        let digest = try Tool.shell("ehx-query --chain '\(f.chain)' block 3 --header-hex | xxd -r -p"
                                    + " | openssl dgst -sha256 -binary | openssl dgst -sha256")
        #expect(digest.status == 0, "\(digest)")
        let opensslHex = try #require(digest.out.split(whereSeparator: { $0 == " " || $0 == "\n" }).last.map(String.init))
        #expect(opensslHex.count == 64, "\(digest.out)")
        #expect(reversedHex(opensslHex) == hash, "openssl's sha256d, byte-reversed, is the block's hash")
        #expect(try f.query(["block", "3", "--hash"]).out.trimmingCharacters(in: .whitespacesAndNewlines) == hash)
    }

    @Test func groupReadablePrivateKeyIsRefused() throws {
        let dir = try Scratch("interop-perms")
        defer { dir.remove() }
        let f = try ChainFixture.make(in: dir, sampleLines: 10, mine: false)
        #expect(try Files.mode(f.gatewayKey) == 0o600)
        try Files.chmod(f.gatewayKey, 0o644)
        let result = try Tool.run("ehx-sign", ["--key", f.gatewayKey, f.accepted])
        #expect(result.status == 77, "\(result)")
        #expect(result.stdout.isEmpty, "nothing signed with a refused key")
        #expect(result.errLines.count == 1, "\(result)")
        #expect(result.err.contains("permissions"), "\(result)")
        // And ehx-mine refuses the miner key the same way.
        try Files.chmod(f.minerKey, 0o640)
        let mine = try Tool.run("ehx-mine", ["--chain", f.chain, "--key", f.minerKey, f.txs])
        #expect(mine.status == 77, "\(mine)")
        #expect(mine.err.contains("permissions"), "\(mine)")
    }
}
