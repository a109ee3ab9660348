/// Trust anchors an auditor brings from outside the chain: a chain vouches
/// for itself only up to its genesis, so the verdict depends on these.
public struct ChainPins: Sendable {
    public let genesis: SHA256Digest?
    public let authority: Ed25519.PublicKey?
    public let expectTip: SHA256Digest?

    public init(genesis: SHA256Digest? = nil, authority: Ed25519.PublicKey? = nil, expectTip: SHA256Digest? = nil) {
        self.genesis = genesis
        self.authority = authority
        self.expectTip = expectTip
    }

    /// From command-line text: hashes in display hex; the authority as a
    /// public-key PEM file or a base64url raw key.
    public init(genesis: String?, authority: String?, expectTip: String?) throws(ToolError) {
        func hash(_ text: String?, _ option: String) throws(ToolError) -> SHA256Digest? {
            guard let text else { return nil }
            guard let digest = SHA256Digest(displayHex: text) else {
                throw ToolError(.usage, "\(option) \(text): not a block hash (64 lowercase hex digits)")
            }
            return digest
        }
        self.genesis = try hash(genesis, "--genesis")
        self.expectTip = try hash(expectTip, "--expect-tip")
        if let authority {
            if let raw = Base64URL.decode(authority), raw.count == 32, let key = try? Ed25519.PublicKey(rawRepresentation: raw) {
                self.authority = key
            } else {
                do { self.authority = try KeyFile.readPublicKey(path: authority) } catch {
                    throw ToolError(error.exitStatus, "--authority: \(error)")
                }
            }
        } else {
            self.authority = nil
        }
    }

    public var pinsGenesis: Bool { genesis != nil || authority != nil }
}
