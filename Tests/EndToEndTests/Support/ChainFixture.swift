import EHXShared
import Foundation

/// Keys, PSKs, a genesis block and the sample readings taken through the
/// whole pipeline (sign --psk, ingest, sign --key) and, unless `mine` is
/// false, mined into a chain. Every step is a real run of a built tool.
struct ChainFixture {
    let dir: Scratch
    let chain: String
    let genesisHash: String
    let bits: String
    let authorityKey: String
    let gatewayKey: String
    let gatewayPub: String
    let minerKey: String
    let minerPub: String
    let psk: String
    let raw: String
    let readings: String
    let accepted: String
    let alerts: String
    let txs: String
    let acceptedCount: Int
    let alertCount: Int
    let txCount: Int

    /// - Parameters:
    ///   - sampleLines: how many lines of examples/readings.jsonl to use (nil: all).
    ///   - maxTxs: `ehx-mine --max-txs`.
    ///   - bindDevices: bind the gateway to the sample's device ids in genesis
    ///     (false for a sealed chain, which binds pseudonyms and keeps ids off the chain).
    static func make(in dir: Scratch, sampleLines: Int? = 300, bits: String = "207fffff",
                     maxTxs: Int = 60, mine: Bool = true, bindDevices: Bool = true) throws -> ChainFixture {
        let p = dir.path
        for role in ["authority", "gateway", "miner"] {
            try check(Tool.run("ehx-keygen", ["key", "--role", role, "-o", p(role)]))
        }
        let devices = try String(contentsOfFile: Package.sampleDevices, encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        for device in devices {
            try check(Tool.run("ehx-keygen", ["psk", "--device", device, "--psk", p("devices.psk")]))
        }
        let genesis = try check(Tool.run("ehx-keygen", [
            "genesis", "--authority", p("authority.key"), "--bits", bits, "--name", "e2e-ward",
            "--grant", "gateway=" + p("gateway.pub"), "--grant", "miner=" + p("miner.pub"), "-o", p("chain.jsonl"),
        ] + (bindDevices ? ["--bind", p("gateway.pub") + "=@" + p("devices.psk")] : [])))
        guard let genesisHash = try JSONLine.object(genesis.out)["genesis"] as? String else {
            throw TestFailure("ehx-keygen genesis printed no hash: \(genesis.out)")
        }

        var sample = try Files.lines(Package.sampleReadings)
        if let sampleLines { sample = Array(sample.prefix(sampleLines)) }
        try Files.writeLines(p("raw.jsonl"), sample)

        let signed = try check(Tool.run("ehx-sign", ["--psk", p("devices.psk"), "--rejects", p("device-rejects.jsonl"), p("raw.jsonl")]),
                               allowing: [0, 65])
        try Files.write(p("readings.jsonl"), signed.stdout)
        let ingested = try check(Tool.run("ehx-ingest", [
            "--psk", p("devices.psk"), "--rejects", p("rejects.jsonl"), "--alerts", p("alerts.jsonl"), p("readings.jsonl"),
        ]), allowing: [0, 65])
        try Files.write(p("accepted.jsonl"), ingested.stdout)

        // ehx-ingest's stdout carries the accepted readings and, as
        // {"type":"alert","body":…} envelopes, its alerts: one signing pass.
        let txs = try check(Tool.run("ehx-sign", ["--key", p("gateway.key"), p("accepted.jsonl")])).stdout
        let alertCount = try Files.lineCount(p("alerts.jsonl"))
        try Files.write(p("txs.jsonl"), txs)

        let fixture = ChainFixture(
            dir: dir, chain: p("chain.jsonl"), genesisHash: genesisHash, bits: bits,
            authorityKey: p("authority.key"), gatewayKey: p("gateway.key"), gatewayPub: p("gateway.pub"),
            minerKey: p("miner.key"), minerPub: p("miner.pub"), psk: p("devices.psk"),
            raw: p("raw.jsonl"), readings: p("readings.jsonl"), accepted: p("accepted.jsonl"),
            alerts: p("alerts.jsonl"), txs: p("txs.jsonl"),
            acceptedCount: try Self.readingLines(p("accepted.jsonl")).count, alertCount: alertCount,
            txCount: try Files.lineCount(p("txs.jsonl")))
        if mine {
            try check(Tool.run("ehx-mine", ["--chain", fixture.chain, "--key", fixture.minerKey,
                                            "--max-txs", String(maxTxs), "-q", fixture.txs]))
        }
        return fixture
    }

    /// Throws (failing the test with the tool's stderr) unless the status is allowed.
    @discardableResult
    static func check(_ result: ToolResult, allowing: Set<Int32> = [0]) throws -> ToolResult {
        guard !result.signaled, !result.timedOut, allowing.contains(result.status) else {
            throw TestFailure("fixture step failed: \(result)")
        }
        return result
    }

    // MARK: - Looking at the chain

    func tipHash() throws -> String {
        try ChainFixture.check(Tool.run("ehx-query", ["--chain", chain, "tip", "--hash"])).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func chainLines() throws -> [[UInt8]] { try Files.lines(chain) }

    /// A copy of the chain file (for tampering) at `name` in the fixture's dir.
    func copy(_ name: String) throws -> String {
        let path = dir.path(name)
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: chain, toPath: path)
        return path
    }

    /// ehx-verify on `path` (default: the chain) pinned to this genesis.
    func verify(_ path: String? = nil, _ extra: [String] = []) throws -> VerifyReport {
        let file = path ?? chain
        return VerifyReport(file: file, result: try Tool.run("ehx-verify", ["--genesis", genesisHash] + extra + [file]))
    }

    func query(_ arguments: [String], chain path: String? = nil) throws -> ToolResult {
        try ChainFixture.check(Tool.run("ehx-query", ["--chain", path ?? chain] + arguments))
    }
}

/// ehx-verify's stdout, one `FILE:LINE: block H[ tx ID]: RULE: detail` per problem.
struct VerifyReport: CustomStringConvertible {
    struct Problem {
        let line: Int
        let rule: String
        let text: String
    }

    let file: String
    let result: ToolResult

    var status: Int32 { result.status }

    /// Problem lines parsed; a line not of the documented shape has line -1.
    var problems: [Problem] {
        result.outLines.map { text in
            guard text.hasPrefix(file + ":") else { return Problem(line: -1, rule: "", text: text) }
            let rest = text.dropFirst(file.count + 1)
            guard let colon = rest.firstIndex(of: ":"), let line = Int(rest[..<colon]) else {
                return Problem(line: -1, rule: "", text: text)
            }
            // "block 3 tx abc…: merkle: detail"
            let parts = rest[rest.index(after: colon)...].components(separatedBy: ": ")
            let rule = parts.count > 1 ? parts[1] : ""
            return Problem(line: line, rule: rule, text: text)
        }
    }

    func rules(onLine line: Int) -> Set<String> {
        Set(problems.filter { $0.line == line }.map(\.rule))
    }

    var description: String { "\(result)\nstdout: \(result.out.prefix(3000))" }

}

extension ChainFixture {
    /// The reading lines of ehx-ingest's output, without its alert envelopes
    /// (canonical `{"body":…,"type":"alert"}` lines).
    static func readingLines(_ path: String) throws -> [[UInt8]] {
        try Files.lines(path).filter { !$0.starts(with: Array(#"{"body":"#.utf8)) }
    }
}
