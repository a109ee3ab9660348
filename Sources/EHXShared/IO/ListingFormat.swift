#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a listing is printed: canonical JSON lines, CSV (RFC 4180, with a
/// header row) or a fixed-width table for people. `table` is the default
/// when standard output is a terminal, `jsonl` otherwise.
public enum ListingFormat: String, CaseIterable, Sendable {
    case jsonl, csv, table

    public static func resolve(_ text: String?) throws(ToolError) -> ListingFormat {
        guard let text else { return isatty(STDOUT_FILENO) == 1 ? .table : .jsonl }
        guard let format = ListingFormat(rawValue: text) else {
            throw ToolError(.usage, "--format \(text): expected csv, jsonl or table")
        }
        return format
    }
}

/// Prints transactions in a `ListingFormat`. CSV and table rows have the
/// same columns: txid, type, time (the record's own time), signer (key id,
/// first 16 hex digits), device, patient, kind, value, unit.
public final class TxPrinter {
    public static let columns = ["txid", "type", "ts", "signer", "device", "patient", "kind", "value", "unit"]
    static let widths = [16, 8, 24, 16, 14, 10, 14, 12, 6]

    public let format: ListingFormat
    /// jsonl only: each transaction exactly as on the chain, without the
    /// `height` and `txid` members put in front of it.
    public let raw: Bool
    private let output: LineWriter
    private var headerDone = false

    public init(format: ListingFormat, output: LineWriter, raw: Bool = false) {
        self.format = format
        self.output = output
        self.raw = raw
    }

    /// A jsonl line: `{"height":H,"txid":"…",` then the transaction's
    /// canonical bytes after their `{`. Cutting that prefix back to `{`
    /// gives the chain's bytes, which a signature or leaf hash covers.
    public static func jsonLine(_ match: IndexedTransaction) throws(ToolError) -> [UInt8] {
        var line = Array(#"{"height":"#.utf8)
        line += Array(String(match.height).utf8)
        line += Array(#","txid":""#.utf8)
        line += Array(try match.txid().utf8)
        line += Array(#"","#.utf8)
        line += match.bytes.dropFirst()
        return line
    }

    public func write(_ match: IndexedTransaction) throws(ToolError) {
        if format == .jsonl { return try output.write(line: raw ? match.bytes : Self.jsonLine(match)) }
        let parsed = try match.transaction()
        if !headerDone {
            headerDone = true
            try emit(Self.columns)
        }
        try emit(Self.row(parsed))
    }

    public func write(_ tx: Transaction, height: Int64) throws(ToolError) {
        try write(IndexedTransaction(height: height, index: 0, blockHash: "", bytes: tx.leaf, parsed: tx))
    }

    public func flush() throws(ToolError) { try output.close() }

    /// The CSV/table cells of a transaction.
    public static func row(_ tx: Transaction) -> [String] {
        let body = tx.body
        func text(_ key: String) -> String {
            guard let v = body[key] else { return "" }
            return v.stringValue ?? v.canonicalString
        }
        var value = ""
        if let v = body["value"] {
            if let s = v["systolic"]?.numberValue, let d = v["diastolic"] {
                // A diastolic the monitor could not give (null) shows as "-".
                value = "\(JCS.serialize(number: s))/" + (d.numberValue.map { JCS.serialize(number: $0) } ?? "-")
            } else {
                value = v.stringValue ?? v.canonicalString
            }
        }
        return [tx.txid.hex, tx.type.rawValue, tx.subjectTime.description, String(tx.signer.id.hex.prefix(16)),
                text("device"), text("patient"), text("kind"), value, text("unit")]
    }

    private func emit(_ cells: [String]) throws(ToolError) {
        switch format {
        case .csv:
            try output.write(text: cells.map(Self.csvField).joined(separator: ","))
        case .table:
            var line = ""
            for (i, cell) in cells.enumerated() {
                let width = Self.widths[i]
                let clean = Self.printable(cell)
                let shown = clean.count > width ? String(clean.prefix(width - 1)) + "…" : clean
                line += i == cells.count - 1 ? shown : shown + String(repeating: " ", count: width - shown.count + 2)
            }
            while line.last == " " { line.removeLast() }
            try output.write(text: line)
        case .jsonl:
            break
        }
    }

    /// RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled.
    public static func csvField(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingAll("\"", with: "\"\"") + "\""
    }

    /// Control characters shown as spaces so a table row stays one line.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
    }
}

fileprivate extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
