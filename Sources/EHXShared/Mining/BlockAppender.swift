extension ChainValidator {
    /// Mines `transactions` on the tip, judges the block by the verifier's own
    /// rules and only then appends it to `file` (one write, fsync); the
    /// validator then stands on the new tip. A block that fails a rule here
    /// is a bug and never reaches the file. `BlockMiner.Cancelled` passes
    /// through so a caller with a deadline can give up cleanly.
    public mutating func mineAndAppend(_ transactions: [Transaction], to file: ChainFile, key: Ed25519.PrivateKey,
                                       threads: Int, shouldStop: () -> Bool = { false }) throws -> Block {
        guard let bits = nextBits else { throw ToolError(.dataErr, "\(file.path): no genesis rules to mine by") }
        let block: Block
        do {
            block = try BlockMiner.mine(transactions: transactions, height: nextHeight, prev: state.tip, bits: bits,
                                        earliestTime: earliestNextTime, key: key, threads: threads, shouldStop: shouldStop)
        } catch let cancelled as BlockMiner.Cancelled {
            throw cancelled
        } catch {
            // Callers mine from inside their read loop, where anything but a
            // ToolError would be taken as a reject of the current input line.
            throw ToolError(.dataErr, "mining block \(nextHeight) failed: \(error)")
        }
        let line = block.canonicalLine
        var check = self
        if let problem = check.add(block, lineBytes: line.count).first {
            throw ToolError(.dataErr, "refusing to append block \(block.height): \(problem)")
        }
        try file.append(line)
        self = check
        return block
    }
}
