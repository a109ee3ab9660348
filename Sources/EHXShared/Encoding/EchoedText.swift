/// Text taken from input and echoed into a message, a reject record's reason
/// or a spool's reason file. Whoever wrote the input chose it, so it must
/// not be able to end the line, drive a terminal (ESC, C1 controls, bidi
/// overrides) or, were the text ever pasted into or written over a shell
/// file, run anything (`$(…)`, backquotes).
public enum EchoedText {
    /// `text` in double quotes, JSON-style: `"` and `\` escaped, and every
    /// scalar outside printable ASCII, `$` and the backquote as `\uXXXX`.
    /// Plain names (`seq`, `heart_rate`) read as they always did.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "$", "`": out += escape(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value < 0x7f { out.unicodeScalars.append(scalar) } else { out += escape(scalar) }
            }
        }
        return out + "\""
    }

    /// A whole message kept to one inert line: control characters (C0, DEL,
    /// C1) and bidirectional overrides as `\uXXXX`; the rest unchanged.
    public static func line(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (0x7f...0x9f).contains(v) || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v) {
                out += escape(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        if scalar.value > 0xffff {
            let v = scalar.value - 0x10000
            return hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff))
        }
        return hex4(scalar.value)
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
