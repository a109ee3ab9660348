import EHXCommandLine
import EHXShared

/// `ehx-verify --proof FILE [--headers FILE]`: inclusion proofs checked
/// without the chain. Problems go to stdout (`FILE: tx TXID: RULE: detail`),
/// one verdict per proof to stderr. Exit 1 when any proof is invalid, else 2
/// when any is not anchored, else 0.
struct ProofMode {
    let proofFile: String
    let headersFile: String?
    let pins: ChainPins
    let diagnostics: Diagnostics

    func run() throws -> Sysexits {
        var headers: HeaderChain?
        if let headersFile {
            let reader = try LineReader(path: headersFile)
            var chain = HeaderChain()
            while let line = try reader.next() {
                guard !line.bytes.isEmpty else { continue }
                do {
                    chain.add(try HeaderLine(parsing: try JSONValue.parse(line.bytes)), number: line.number)
                } catch {
                    throw ToolError(.dataErr, "\(reader.name):\(line.number): not a header line: \(error)")
                }
            }
            headers = chain
        }
        let reader = try LineReader(path: proofFile)
        var lines: [LineReader.Line] = []
        while let line = try reader.next() { lines.append(line) }
        // One proof per line, or one (pretty-printed) JSON document.
        var proofs: [(Int, JSONValue)] = []
        let whole = lines.map(\.bytes).joined(separator: [0x0a]).map { $0 }
        if lines.count > 1, let doc = try? JSONValue.parse(Array(whole)), doc.objectValue != nil {
            proofs = [(1, doc)]
        } else {
            for line in lines where !line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) {
                do { proofs.append((line.number, try JSONValue.parse(line.bytes))) } catch {
                    throw ToolError(.dataErr, "\(reader.name):\(line.number): not JSON: \(error)")
                }
            }
        }
        guard !proofs.isEmpty else { throw ToolError(.dataErr, "\(reader.name): no proof") }
        let output = try LineWriter(path: "-")
        var worst = Sysexits.ok
        for (number, json) in proofs {
            let proof: InclusionProof
            do { proof = try InclusionProof(parsing: json) } catch {
                // A proof edited out of shape is a proof found bad, as a
                // block with a schema problem is in a chain audit.
                try output.write(text: "\(reader.name):\(number): schema: \(error)")
                diagnostics.note("\(reader.name):\(number): INVALID: not a well-formed inclusion proof")
                worst = .checkedBad
                continue
            }
            let verdict = ProofVerdict(proof: proof, headers: headers, pins: pins)
            for problem in verdict.problems {
                try output.write(text: "\(reader.name):\(number): tx \(proof.tx.txid.hex): \(problem)")
            }
            if worst != .checkedBad && verdict.exitStatus != .ok { worst = verdict.exitStatus }
            diagnostics.note("\(reader.name):\(number): \(verdict.verdict)")
        }
        try output.close()
        return worst
    }
}
