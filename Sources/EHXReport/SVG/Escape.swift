/// HTML/XML escaping for everything that did not come from this module.
///
/// Plot 0.14 writes attribute values as given and leaves `&name;` sequences in
/// text alone (so a reason reading "&lt;script&gt;" would reach the browser as
/// markup); the report therefore escapes every untrusted string itself and
/// hands Plot only escaped text (`Node.raw`) and escaped attribute values.
public enum Escape {
    /// Text content: `&`, `<`, `>`; control characters other than tab and
    /// newline become U+FFFD (they are not allowed in XML).
    public static func text(_ s: String) -> String { escape(s, forAttribute: false) }

    /// An attribute value for a double-quoted attribute: as text, and also
    /// both quotes and the newline (which an attribute would fold to a space).
    public static func attribute(_ s: String) -> String { escape(s, forAttribute: true) }

    private static func escape(_ s: String, forAttribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where forAttribute: out += "&quot;"
            case "'" where forAttribute: out += "&#39;"
            case "\n" where forAttribute: out += "&#10;"
            default: append(scalar, to: &out)
            }
        }
        return out
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        let v = scalar.value
        if (v < 0x20 && v != 0x09 && v != 0x0a) || v == 0x7f || (0xfffe...0xffff).contains(v) {
            out.unicodeScalars.append("\u{fffd}")
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
}
