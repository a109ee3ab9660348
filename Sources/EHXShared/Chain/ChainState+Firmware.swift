/// Firmware releases (man ehx.7, FIRMWARE REGISTRY) as the state keeps them,
/// so `ehx-query firmware` answers from the snapshot instead of replaying
/// the chain.
extension ChainState {
    /// A firmware transaction that breaks a rule makes the ledger unknown
    /// rather than wrong: the state does not keep which rule (the message
    /// `ehx-query firmware --all` prints), and a chain that breaks one is
    /// never snapshotted anyway (LocalChain stops at the first problem); the
    /// registry then replays the chain to name it.
    mutating func recordFirmware(_ tx: Transaction, valid: Bool, height: Int64) {
        guard tx.type == .firmware, firmwareLedger != nil else { return }
        guard valid else {
            firmwareLedger = nil
            return
        }
        firmwareLedger?.record(tx, height: height, invalidReason: nil)
    }

    /// Every firmware release on the chain, in chain order, with its
    /// revocation; nil when the state does not know them (its snapshot was
    /// written before it kept them, or a firmware transaction broke a rule).
    public var firmware: FirmwareLedger? { firmwareLedger }
}
