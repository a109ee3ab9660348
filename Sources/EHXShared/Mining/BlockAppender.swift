extension ChainValidator {
    /// Mines the transactions a candidate admitted on the tip, judges the
    /// block by the verifier's own rules and only then appends it to `file`
    /// (one write, fsync); the validator then stands on the new tip. A block
    /// that fails a rule here is a bug and never reaches the file.
    /// `BlockMiner.Cancelled` passes through so a caller with a deadline can
    /// give up cleanly. The signatures were verified on admission
    /// and their leaves computed then, so the self-check reuses both. Every
    /// other rule (roles, duplicates, replays, link, bits, time, Merkle root,
    /// size) is still judged here, and the miner's own stamp is verified.
    public mutating func mineAndAppend(_ candidate: BlockCandidate, to file: ChainFile, key: Ed25519.PrivateKey,
                                       threads: Int, shouldStop: () -> Bool = { false }) throws -> Block {
        try mineAndAppend(candidate.transactions, leaves: candidate.leaves, signaturesHold: true, to: file, key: key,
                          threads: threads, shouldStop: shouldStop)
    }

    private mutating func mineAndAppend(_ transactions: [Transaction], leaves: [[UInt8]]?, signaturesHold: Bool,
                                        to file: ChainFile, key: Ed25519.PrivateKey,
                                        threads: Int, shouldStop: () -> Bool) throws -> Block {
        guard let bits = nextBits else { throw ToolError(.dataErr, "\(file.path): no genesis rules to mine by") }
        let mined: BlockMiner.Mined
        do {
            mined = try BlockMiner.mine(transactions: transactions, leaves: leaves, height: nextHeight, prev: state.tip, bits: bits,
                                        earliestTime: earliestNextTime, key: key, threads: threads, shouldStop: shouldStop)
        } catch let cancelled as BlockMiner.Cancelled {
            throw cancelled
        } catch {
            // Callers mine from inside their read loop, where anything but a
            // ToolError would be taken as a reject of the current input line.
            throw ToolError(.dataErr, "mining block \(nextHeight) failed: \(error)")
        }
        let block = mined.block
        let line = block.canonicalLine(leaves: mined.leaves)
        // The stamp was just signed, but is checked anyway: it is one
        // signature a block, and a key that signs wrongly must not append.
        let signatures = [SignatureCheck.compute]
            + Array(repeating: signaturesHold ? .checked(true) : .compute, count: transactions.count)
        let facts = BlockFacts(hash: block.header.hash, merkleRoot: mined.merkleRoot, signatures: signatures)
        var check = self
        check.catchUpClock()
        if let problem = check.add(block, lineBytes: line.count, facts: facts).first {
            throw ToolError(.dataErr, "refusing to append block \(block.height): \(problem)")
        }
        try file.append(line)
        self = check
        return block
    }
}
