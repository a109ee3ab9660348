import Foundation
import Testing

/// The multi-threaded read loops of ehx-sign, ehx-ingest and ehx-mine must
/// give byte for byte what one thread gives: outputs, rejects (with line
/// numbers), stderr, state file, alerts and exit status, on input with bad
/// lines interleaved among several batches' worth of good ones.
@Suite struct EndToEndThroughput {
    /// Raw readings for `devices` devices, with bad lines every so often.
    static func rawReadings(_ count: Int, devices: Int) -> String {
        var lines: [String] = []
        for i in 0..<count {
            let d = i % devices, seq = i / devices + 1
            let ms = String(format: "%03d", i % 1000)
            let second = String(format: "%02d", (i / 1000) % 60)
            let value = i % 29 == 0 ? 150 : 60 + i % 30   // some alerts
            lines.append(#"{"device":"dev\#(d)","patient":"P-\#(d % 3)","seq":\#(seq),"ts":"2026-11-26T10:\#(second):\#(second).\#(ms)Z","kind":"heart_rate","value":\#(value),"unit":"/min"}"#)
            if i % 401 == 7 { lines.append("{truncated") }
            if i % 653 == 11 { lines.append(#"{"device":"ghost","seq":1}"#) }
            if i % 509 == 3 { lines.append("") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct Run: Equatable {
        let status: Int32
        let stdout: Data
        let stderr: Data
        let files: [Data]
    }

    static func run(_ tool: String, _ arguments: [String], files: [String], in dir: Scratch) throws -> Run {
        for f in files { try? FileManager.default.removeItem(atPath: dir.path(f)) }
        let result = try Tool.run(tool, arguments)
        let contents = files.map { (try? Data(contentsOf: URL(fileURLWithPath: dir.path($0)))) ?? Data() }
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr, files: contents)
    }

    @Test func signIngestAndMineGiveTheSameBytesOnOneOrManyThreads() throws {
        let dir = try Scratch("throughput")
        defer { dir.remove() }
        for d in 0..<5 {
            #expect(try Tool.run("ehx-keygen", ["psk", "--device", "dev\(d)", "--psk", dir.path("d.psk")]).status == 0)
        }
        try Files.write(dir.path("raw.jsonl"), Data(Self.rawReadings(9000, devices: 5).utf8))

        // ehx-sign --psk: deterministic, so every byte can be compared.
        let psk = { (threads: Int) in
            try Self.run("ehx-sign", ["--psk", dir.path("d.psk"), "--threads", "\(threads)", "--rejects", dir.path("sign-rejects.jsonl"),
                                      dir.path("raw.jsonl")], files: ["sign-rejects.jsonl"], in: dir)
        }
        let signedOne = try psk(1)
        #expect(signedOne.status == 65)
        #expect(try psk(3) == signedOne)
        try Files.write(dir.path("readings.jsonl"), signedOne.stdout)
        // Replays and a forged MAC for ingest to refuse, among the rest.
        var readings = try Files.lines(dir.path("readings.jsonl"))
        readings.insert(readings[100], at: 5000)
        readings.insert(Array(String(decoding: readings[200], as: UTF8.self).replacingOccurrences(of: #""mac":""#, with: #""mac":"0"#).utf8), at: 7000)
        try Files.writeLines(dir.path("readings.jsonl"), readings)

        let ingest = { (threads: Int) in
            try Self.run("ehx-ingest", ["--psk", dir.path("d.psk"), "--threads", "\(threads)", "--now", "2026-11-26T11:00:00Z",
                                        "--state", dir.path("state.json"), "--rejects", dir.path("ingest-rejects.jsonl"),
                                        "--alerts", dir.path("alerts.jsonl"), dir.path("readings.jsonl")],
                         files: ["state.json", "ingest-rejects.jsonl", "alerts.jsonl"], in: dir)
        }
        let ingestedOne = try ingest(1)
        #expect(ingestedOne.status == 65)
        #expect(!ingestedOne.files[2].isEmpty, "no alerts raised")
        #expect(try ingest(3) == ingestedOne)
        let ingestedNoAlertsFile = { (threads: Int) in
            try Self.run("ehx-ingest", ["--psk", dir.path("d.psk"), "--threads", "\(threads)", "--now", "2026-11-26T11:00:00Z",
                                        dir.path("readings.jsonl")], files: [], in: dir)
        }
        #expect(try ingestedNoAlertsFile(4) == ingestedNoAlertsFile(1))

        // ehx-sign --key signs with the current time, so compare the shape;
        // ehx-mine then judges the same transactions on 1 and 2 threads.
        #expect(try Tool.run("ehx-keygen", ["key", "--role", "authority", "-o", dir.path("authority")]).status == 0)
        #expect(try Tool.run("ehx-keygen", ["key", "--role", "gateway", "-o", dir.path("gateway")]).status == 0)
        #expect(try Tool.run("ehx-keygen", ["key", "--role", "miner", "-o", dir.path("miner")]).status == 0)
        try Files.write(dir.path("accepted.jsonl"), ingestedOne.stdout)
        let txs = try Tool.run("ehx-sign", ["--key", dir.path("gateway.key"), "--threads", "3", dir.path("accepted.jsonl")])
        #expect(txs.status == 0)
        #expect(try txs.outLines.count == Files.textLines(dir.path("accepted.jsonl")).count)
        var txLines = txs.outLines.map { Array($0.utf8) }
        // A duplicate, junk and a broken signature among the good ones.
        txLines.insert(txLines[10], at: 4500)
        txLines.insert(Array("{junk".utf8), at: 6000)
        var forged = txLines[20]
        if let start = forged.indices.first(where: { forged[$0...].starts(with: Array(#""sig":""#.utf8)) }) {
            let i = start + 20
            forged[i] = forged[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        }
        txLines.insert(forged, at: 7000)
        try Files.writeLines(dir.path("txs.jsonl"), txLines)

        let mine = { (threads: Int) throws -> Run in
            try? FileManager.default.removeItem(atPath: dir.path("chain.jsonl"))
            #expect(try Tool.run("ehx-keygen", ["genesis", "--authority", dir.path("authority.key"), "--bits", "207fffff", "--name", "t",
                                                "--grant", "gateway=" + dir.path("gateway.pub"), "--grant", "miner=" + dir.path("miner.pub"),
                                                "--bind", dir.path("gateway.pub") + "=@" + dir.path("d.psk"),
                                                "-o", dir.path("chain.jsonl")]).status == 0)
            let run = try Self.run("ehx-mine", ["--chain", dir.path("chain.jsonl"), "--key", dir.path("miner.key"), "--threads", "\(threads)",
                                                "--max-txs", "1500", "--rejects", dir.path("mine-rejects.jsonl"), dir.path("txs.jsonl")],
                                   files: ["mine-rejects.jsonl"], in: dir)
            #expect(try Tool.run("ehx-verify", [dir.path("chain.jsonl")]).status == 0)
            return run
        }
        let minedOne = try mine(1)
        let minedTwo = try mine(2)
        #expect(minedOne.status == 65)
        #expect(minedTwo.status == minedOne.status)
        #expect(minedTwo.files == minedOne.files)
        // Block hashes differ (times, stamps); the messages about lines do not.
        let lineMessages = { (run: Run) in
            String(decoding: run.stderr, as: UTF8.self).split(separator: "\n").filter { $0.contains("txs.jsonl:") && !$0.contains("tip ") }
        }
        #expect(lineMessages(minedTwo) == lineMessages(minedOne))
        #expect(lineMessages(minedOne).count == 3)
    }
}
