import EHXShared
import Foundation

/// Builds properly mined blocks on a chain's tip with EHXShared, as a
/// forger who holds the miner key would, so the verifier must catch the
/// transaction-level rule they break and nothing else.
enum Forge {
    /// Mines a block holding `transactions` on the tip of `chain` (stamp
    /// signed by `minerKey`) and appends its canonical line.
    static func appendBlock(to chain: String, minerKey: String, transactions: [Transaction]) throws -> Block {
        let miner = try KeyFile.readPrivateKey(path: minerKey, passphrase: nil)
        let validator = try LocalChain.open(chain: chain, now: Timestamp.now().unixSeconds, threads: 1,
                                            diagnostics: Diagnostics(tool: "forge", quiet: true)).validator
        guard let bits = validator.nextBits else { throw TestFailure("\(chain): no genesis rules") }
        let block = try BlockMiner.mine(
            transactions: transactions, height: validator.nextHeight, prev: validator.state.tip,
            bits: bits, earliestTime: validator.earliestNextTime, key: miner)
        try Files.append(chain, block.canonicalLine)
        return block
    }

    /// The body of the first reading transaction in block `height`.
    static func readingBody(in chain: String, height: Int) throws -> JSONValue {
        let lines = try Files.lines(chain)
        let block = try ChainLine.parse(lines[height])
        guard case .array(let txs)? = block.value(at: ["txs"]),
              let tx = txs.first(where: { $0.value(at: ["type"]) == .string("reading") }),
              let body = tx.value(at: ["body"]) else {
            throw TestFailure("block \(height) holds no reading")
        }
        return body
    }

    /// `body` with `ts` moved by `milliseconds` and the device MAC dropped.
    static func shifted(_ body: JSONValue, milliseconds: Int64) throws -> JSONValue {
        guard let text = body.value(at: ["ts"])?.stringValue, let ts = Timestamp(rfc3339: text) else {
            throw TestFailure("reading without ts")
        }
        let moved = Timestamp(millisecondsSince1970: ts.millisecondsSince1970 + milliseconds)
        return body.setting(["ts"], to: .string(moved.description)).setting(["mac"], to: nil)
    }
}
