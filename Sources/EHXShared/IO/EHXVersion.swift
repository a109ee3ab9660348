/// The version every tool reports with --version.
public enum EHXVersion {
    public static let string = "0.1.0"
}
