#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EHXShared
import Plot

/// What both pages share: the document shell (Plot), the style sheet, the
/// risk colours, escaped-text helpers and writing the file.
public enum Page {
    /// One self-contained document: inline CSS, no script, nothing fetched.
    static func document(title: String, body: [Node<HTML.BodyContext>]) -> String {
        let html = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .element(named: "title", nodes: [Node<HTML.HeadContext>.raw(Escape.text(title))]),
                .style(css)
            ),
            .body(.group(body))
        )
        return html.render()
    }

    /// Escaped text for Plot (see `Escape`).
    static func text<C>(_ s: String) -> Node<C> { .raw(Escape.text(s)) }

    /// An attribute whose value is escaped here (Plot writes values as given).
    static func attr<C>(_ name: String, _ value: String) -> Node<C> {
        .attribute(Attribute<C>(name: name, value: Escape.attribute(value), ignoreIfValueIsEmpty: false))
    }

    /// A `<dl class="summary">` of term and value pairs.
    static func facts(_ pairs: [(String, Node<HTML.BodyContext>)]) -> Node<HTML.BodyContext> {
        var nodes: [Node<HTML.DescriptionListContext>] = [attr("class", "summary")]
        for (term, value) in pairs {
            nodes.append(.dt(text(term)))
            nodes.append(.dd(value))
        }
        return .element(named: "dl", nodes: nodes)
    }

    /// Inline SVG.
    static func svg(_ svg: SVG) -> Node<HTML.BodyContext> { .raw(svg.rendered) }

    /// NEWS2 clinical-risk colours, as on the ward chart.
    public static func colour(_ level: Alert.Level) -> String {
        switch level {
        case .low: return "#2f9e44"
        case .lowMedium: return "#f2c200"
        case .medium: return "#f76707"
        case .high: return "#e03131"
        }
    }

    /// Background of a NEWS2 parameter band scoring `score`.
    static func bandColour(_ score: Int) -> String {
        switch score {
        case 0: return "#ffffff"
        case 1: return "#fff3bf"
        case 2: return "#ffd8a8"
        default: return "#ffc9c9"
        }
    }

    static let css = """
        :root{color-scheme:light}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#212529;background:#f8f9fa;margin:0}
        header,main,footer{max-width:1000px;margin:0 auto;padding:12px 20px}
        header{background:#fff;border-bottom:1px solid #dee2e6}
        h1{font-size:22px;margin:6px 0}
        h2{font-size:17px;margin:22px 0 6px}
        .meta{color:#495057;margin:2px 0}
        .verdict{font-size:18px;font-weight:600;padding:8px 12px;border-radius:6px;margin:8px 0}
        .verdict.ok{background:#d3f9d8;color:#2b8a3e}
        .verdict.warn{background:#fff3bf;color:#8a6100}
        .verdict.bad{background:#ffe3e3;color:#c92a2a}
        .chart{background:#fff;border:1px solid #dee2e6;border-radius:6px;padding:6px 8px;margin:10px 0}
        .chart h2{margin:2px 0 4px;font-size:15px}
        .chart .note{color:#868e96;font-size:12px;margin:0 0 4px}
        svg{display:block;max-width:100%;height:auto}
        svg text{font:11px system-ui,sans-serif;fill:#495057}
        svg .unit{font-weight:600}
        svg .grid{stroke:#e9ecef;stroke-width:1}
        svg .frame{fill:none;stroke:#adb5bd;stroke-width:1}
        svg .line{fill:none;stroke:#1c7ed6;stroke-width:1.4;stroke-linejoin:round}
        svg .line.dia{stroke:#7048e8}
        svg .dot{fill:#1c7ed6}
        svg .bp-band{fill:#d0bfff;fill-opacity:.45;stroke:none}
        svg .alert-marker{stroke:#212529;stroke-width:1}
        svg .threshold{stroke:#495057;stroke-width:1;stroke-dasharray:4 3}
        svg .problem-tick{stroke:#e03131;stroke-width:2}
        svg .bar{stroke:none}
        table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}
        th,td{border:1px solid #dee2e6;padding:4px 6px;text-align:left;vertical-align:top}
        th{background:#f1f3f5}
        td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        .level{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-weight:600}
        .level.low-medium{color:#212529}
        .legend span{display:inline-block;margin-right:12px}
        .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px;border:1px solid #ced4da}
        code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
        pre{background:#f1f3f5;padding:8px;border-radius:4px;white-space:pre-wrap;word-break:break-all}
        footer{color:#495057;border-top:1px solid #dee2e6;margin-top:20px}
        dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;background:#fff;padding:8px 12px;border:1px solid #dee2e6;border-radius:6px}
        dl.summary dt{color:#495057}
        dl.summary dd{margin:0}
        """

    /// Writes `html` to `path` ("-": stdout) through a temporary file renamed
    /// into place, so a reader never sees half a page. The file gets exactly
    /// `mode` whatever the umask: 0600 for a page of decrypted patient data.
    public static func write(_ html: String, to path: String, mode: mode_t = 0o644) throws(ToolError) {
        let bytes = Array(html.utf8)
        if path == "-" {
            let failed = FileWriting.writeAll(STDOUT_FILENO, bytes)
            if failed != 0 { throw ToolError(.ioErr, "stdout: write error: \(FileWriting.errorText(failed))") }
            return
        }
        let (directory, name) = try SafeDirectory.containing(path)
        try directory.replace(name, mode: mode, contents: bytes)
    }
}
