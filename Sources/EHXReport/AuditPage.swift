import EHXShared
import Plot

/// `ehx-verify --report`: the verdict of `--json` as a page. Every value
/// comes from the same objects `--json` prints (`AuditReport.json`,
/// `ChainAudit.verdictJSON`, `ChainAudit.summary`); the block series feeds
/// the chart.
public final class AuditPage {
    public struct BlockPoint: Sendable {
        public var height: Int64
        public var time: Int64
        public var txs: Int
    }

    public let file: String
    public private(set) var problems: [JSONValue] = []
    public private(set) var blocks: [BlockPoint] = []
    public var verdict: JSONValue = .null
    public var summary: JSONValue = .null
    public var verdictLine = ""
    public var command = ""

    /// One `access` transaction: who opened which transactions, when, why.
    public struct Access: Sendable {
        public var height: Int64
        public var ts: String
        public var signer: String
        public var reason: String
        public var note: String?
        public var txids: Int
        /// The patients (ids, or pseudonyms of sealed records) of the
        /// transactions opened that this chain holds before the record.
        public var patients: [String]
        public var breakGlass: Bool { reason == AccessRecord.emergencyReason }
    }

    public private(set) var accesses: [Access] = []
    /// The chain's `erasure` transactions, in chain order.
    public private(set) var erasures: [ErasureEntry] = []
    /// The first 8 bytes of each reading's and alert's txid, to its
    /// patient's index in `patientNames`: enough to name who an access
    /// record was about without keeping the transactions.
    private var patientOf: [UInt64: Int32] = [:]
    private var patientNames: [String] = []
    private var patientIndex: [String: Int32] = [:]

    public init(file: String) { self.file = file }

    /// A problem, as `--json` prints it.
    public func add(_ report: AuditReport) { problems.append(report.json(file: file)) }

    /// A block line the audit read (unreadable lines carry no time).
    public func note(_ prepared: ChainBatch.Prepared) {
        guard case .success(let block) = prepared.parsed else { return }
        blocks.append(BlockPoint(height: block.height, time: Int64(block.header.time), txs: block.txs.count))
        for tx in block.txs {
            switch tx.type {
            case .reading, .alert:
                guard let patient = tx.bodyString("patient") else { continue }
                let index: Int32
                if let known = patientIndex[patient] { index = known } else {
                    index = Int32(patientNames.count)
                    patientNames.append(patient)
                    patientIndex[patient] = index
                }
                patientOf[Self.prefix(tx.txid)] = index
            case .access:
                guard let record = try? AccessRecord(parsing: tx.body) else { continue }
                var seen: Set<Int32> = []
                let patients = record.txids.compactMap { patientOf[Self.prefix($0)] }.filter { seen.insert($0).inserted }.map { patientNames[Int($0)] }
                accesses.append(Access(height: block.height, ts: tx.ts.description, signer: String(tx.signer.id.hex.prefix(16)),
                                       reason: record.reason, note: record.note, txids: record.txids.count, patients: patients))
            case .erasure:
                if let entry = ErasureEntry(tx, height: block.height) { erasures.append(entry) }
            default:
                continue
            }
        }
    }

    private static func prefix(_ digest: SHA256Digest) -> UInt64 {
        digest.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    public func html() -> String {
        let word = verdict["verdict"]?.stringValue ?? "unknown"
        let cls = word == "valid" ? "ok" : word == "consistent" ? "warn" : "bad"
        var body: [Node<HTML.BodyContext>] = []
        body.append(.header(
            .h1(Page.text("Chain audit: \(file)")),
            .p(.class("verdict " + cls), Page.attr("data-verdict", word), Page.text(verdictLine.isEmpty ? word : verdictLine)),
            .p(.class("meta"), Page.text("ehx-verify checked every block offline. Times are UTC. The same verdict as ehx-verify --json."))
        ))
        var main: [Node<HTML.BodyContext>] = [problemSection(), summarySection(), accessSection(), erasureSection(), chartSection()]
        main.append(.section(.h2(Page.text("Verdict object (--json)")), .pre(.class("json"), Page.text(verdict.canonicalString))))
        body.append(.main(.group(main)))
        body.append(.footer(
            .p(Page.text("Re-run this audit with:")),
            .pre(.class("verify-command"), Page.text(command)),
            .p(Page.text("Exit 0: valid (or consistent when the genesis is not pinned); 1: problems found. A chain vouches for itself only up to its genesis: pin it with --genesis and its tip with --expect-tip."))
        ))
        return Page.document(title: "ehx audit: \(file) \(word)", body: body)
    }

    /// Every access record and break-glass event: who, about which patient
    /// (or pseudonym), when and why, as regulators ask for the trail.
    private func accessSection() -> Node<HTML.BodyContext> {
        let glass = accesses.filter(\.breakGlass).count
        let title = "Access records (\(accesses.count), \(glass) break-glass)"
        guard !accesses.isEmpty else {
            return .section(.id("access"), .h2(Page.text(title)), .p(Page.text("No access record on the chain.")))
        }
        var rows: [Node<HTML.TableContext>] = [.tr(.th(Page.text("height")), .th(Page.text("time (UTC)")), .th(Page.text("reader key")), .th(Page.text("patients")),
                                                    .th(Page.text("transactions")), .th(Page.text("reason")), .th(Page.text("note")))]
        for a in accesses {
            rows.append(.tr(.class(a.breakGlass ? "break-glass" : "access"),
                            .td(.class("num"), Page.text(String(a.height))), .td(Page.text(a.ts)),
                            .td(.class("hash"), Page.text(a.signer)),
                            .td(.class("hash"), Page.text(a.patients.isEmpty ? "(not on this chain before the record)" : a.patients.joined(separator: ", "))),
                            .td(.class("num"), Page.text(String(a.txids))),
                            .td(Page.text(a.breakGlass ? "BREAK-GLASS (emergency)" : a.reason)), .td(Page.text(a.note ?? ""))))
        }
        return .section(.id("access"), .h2(Page.text(title)), .table(.class("access"), .group(rows)))
    }

    /// Every erasure: when, by whom, which patient pseudonym, how many blobs, whose request and why.
    private func erasureSection() -> Node<HTML.BodyContext> {
        let title = "Erasures (\(erasures.count))"
        guard !erasures.isEmpty else {
            return .section(.id("erasures"), .h2(Page.text(title)), .p(Page.text("No erasure on the chain.")))
        }
        var rows: [Node<HTML.TableContext>] = [.tr(.th(Page.text("height")), .th(Page.text("time (UTC)")), .th(Page.text("authority key")),
                                                    .th(Page.text("patient")), .th(Page.text("blobs")), .th(Page.text("request")), .th(Page.text("reason")))]
        for e in erasures {
            rows.append(.tr(.class("erasure"), .td(.class("num"), Page.text(String(e.height))), .td(Page.text(e.ts)),
                            .td(.class("hash"), Page.text(e.signer)), .td(.class("hash"), Page.text(e.patient ?? "")),
                            .td(.class("num"), Page.text(String(e.blobs))), .td(Page.text(e.request)), .td(Page.text(e.reason))))
        }
        return .section(.id("erasures"), .h2(Page.text(title)), .table(.class("erasures"), .group(rows)))
    }

    private func problemSection() -> Node<HTML.BodyContext> {
        guard !problems.isEmpty else {
            return .section(.h2(Page.text("Problems (0)")), .p(.class("no-problems"), Page.text("No problems: every rule holds.")))
        }
        var rows: [Node<HTML.TableContext>] = []
        for p in problems {
            let line = p["line"]?.numberValue.map { String(Int64($0)) } ?? ""
            let height = p["height"]?.numberValue.map { String(Int64($0)) } ?? ""
            let rule = p["rule"]?.stringValue ?? ""
            let txid = p["txid"]?.stringValue ?? ""
            rows.append(.tr(
                .class("problem"),
                Page.attr("data-file", p["file"]?.stringValue ?? ""), Page.attr("data-line", line),
                Page.attr("data-height", height), Page.attr("data-rule", rule), Page.attr("data-txid", txid),
                .td(Page.text(p["file"]?.stringValue ?? "")),
                .td(.class("num"), Page.text(line)),
                .td(.class("num"), Page.text(height)),
                .td(.strong(Page.text(rule))),
                .td(Page.text(p["detail"]?.stringValue ?? ""), txid.isEmpty ? .empty : .group(.br(), .span(.class("hash"), Page.text("tx " + txid))))
            ))
        }
        return .section(
            .h2(Page.text("Problems (\(problems.count))")),
            .table(.class("problems"),
                   .thead(.tr(.th(Page.text("File")), .th(Page.text("Line")), .th(Page.text("Block")), .th(Page.text("Rule")), .th(Page.text("Detail")))),
                   .tbody(.group(rows)))
        )
    }

    private func summarySection() -> Node<HTML.BodyContext> {
        var facts: [(String, Node<HTML.BodyContext>)] = []
        func fact(_ term: String, _ value: String, hash: Bool = false) {
            facts.append((term, hash ? .span(.class("hash"), Page.text(value)) : Page.text(value)))
        }
        func number(_ key: String) -> String { summary[key]?.numberValue.map { String(Int64($0)) } ?? "" }
        func counts(_ key: String) -> String {
            let members = summary[key]?.objectValue ?? [:]
            if members.isEmpty { return "none" }
            return members.keys.sorted().map { "\($0) \(members[$0]?.numberValue.map { String(Int64($0)) } ?? "?")" }.joined(separator: ", ")
        }
        fact("Blocks", number("blocks"))
        fact("Transactions", number("transactions"))
        fact("Per type", counts("types"))
        fact("Signers per role", counts("signers"))
        fact("First block time", summary["first_time"]?.stringValue ?? "")
        fact("Last block time", summary["last_time"]?.stringValue ?? "")
        fact("Cumulative work", summary["work"]?.stringValue ?? "", hash: true)
        fact("Tip", "height \(number("height")) " + (summary["tip"]?.stringValue ?? ""), hash: true)
        if let g = summary["genesis"]?.stringValue { fact("Genesis", g, hash: true) }
        fact("Genesis pinned", verdict["genesis_pinned"]?.boolValue == true ? "yes" : "no")
        fact("Tip pinned", verdict["tip_pinned"]?.boolValue == true ? "yes" : "no")
        return .section(.h2(Page.text("Chain summary")), Page.facts(facts))
    }

    /// Cumulative blocks and transactions against block time; problem blocks ticked in red.
    private func chartSection() -> Node<HTML.BodyContext> {
        guard let first = blocks.first, let last = blocks.last else { return .empty }
        let t0 = first.time * 1000, t1 = max(last.time * 1000, t0 + 1000)
        var cumulative: [(Int64, Int64, Int64)] = [] // time ms, blocks, txs
        var nb: Int64 = 0, nt: Int64 = 0
        for b in blocks {
            nb += 1
            nt += Int64(b.txs)
            cumulative.append((b.time * 1000, nb, nt))
        }
        func chart(_ title: String, _ unit: String, _ cls: String, _ value: ((Int64, Int64, Int64)) -> Int64) -> Node<HTML.BodyContext> {
            let top = Double(max(1, cumulative.map(value).max() ?? 1))
            let frame = Frame(height: 170, left: 72, t0: t0, t1: t1, y0: 0, y1: top * 1.05)
            // A step line: the count holds until the next block.
            var samples: [Downsample.Sample] = []
            var previous = 0.0
            for c in cumulative {
                samples.append(.init(t: c.0, v: previous))
                previous = Double(value(c))
                samples.append(.init(t: c.0, v: previous))
            }
            var line: SVG
            if samples.count > frame.columns {
                let buckets = Downsample.buckets(samples, t0: frame.t0, t1: frame.t1, columns: frame.columns)
                line = SVG.polyline(VitalChart.bucketPoints(buckets, frame)).data("buckets", String(buckets.count))
            } else {
                line = SVG.polyline(samples.map { (frame.x($0.t), frame.y($0.v)) }).data("points", String(samples.count))
            }
            var layers: [SVG] = [frame.axes(unit: unit, integer: true), line.cssClass("line").data("series", cls)]
            if blocks.count <= frame.columns {
                var dots: [SVG] = []
                for (b, c) in zip(blocks, cumulative) {
                    dots.append(SVG.circle(cx: frame.x(c.0), cy: frame.y(Double(value(c))), r: 2.5).cssClass("block-dot").fill("#1c7ed6")
                        .titled("block \(b.height) at \(Timestamp(millisecondsSince1970: c.0)): \(b.txs) transactions"))
                }
                layers.append(SVG.group(dots).data("blocks", String(blocks.count)))
            }
            var ticks: [SVG] = []
            let bad = Set(problems.compactMap { $0["height"]?.numberValue.map { Int64($0) } })
            for b in blocks where bad.contains(b.height) {
                let x = frame.x(b.time * 1000)
                ticks.append(SVG.line(x1: x, y1: frame.top, x2: x, y2: frame.top + frame.plotHeight).cssClass("problem-tick")
                    .titled("block \(b.height): problem(s)"))
            }
            layers.append(SVG.group(ticks).cssClass("problem-ticks"))
            let svg = SVG.root(width: frame.width, height: frame.height, label: title, layers)
            return .section(.class("chart"), Page.attr("data-series", cls), .h2(Page.text(title)), Page.svg(svg))
        }
        return .group(
            .h2(Page.text("Blocks and transactions over time")),
            chart("Blocks (cumulative)", "blocks", "blocks", { $0.1 }),
            chart("Transactions (cumulative)", "txs", "transactions", { $0.2 })
        )
    }
}

/// One `erasure` transaction as an audit lists it (page and --summary).
public struct ErasureEntry: Sendable {
    public let height: Int64
    public let txid: String
    public let ts: String
    public let signer: String
    public let patient: String?
    public let blobs: Int
    public let request: String
    public let reason: String

    public init?(_ tx: Transaction, height: Int64) {
        guard tx.type == .erasure, let record = try? ErasureRecord(parsing: tx.body) else { return nil }
        self.height = height
        txid = tx.txid.hex
        ts = tx.ts.description
        signer = String(tx.signer.id.hex.prefix(16))
        patient = record.patient
        blobs = record.blobs.count
        request = record.request
        reason = record.reason
    }

    public var json: JSONValue {
        var m: [String: JSONValue] = ["height": .number(Double(height)), "txid": .string(txid), "ts": .string(ts), "signer": .string(signer),
                                      "blobs": .number(Double(blobs)), "request": .string(request), "reason": .string(reason)]
        if let patient { m["patient"] = .string(patient) }
        return .object(m)
    }
}
