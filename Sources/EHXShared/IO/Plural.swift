/// Counts in messages: "1 alert", "2 alerts", "0 blocks".
public enum Plural {
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }

    public static func count(_ n: Int64, _ singular: String, _ plural: String? = nil) -> String {
        count(Int(n), singular, plural)
    }
}
