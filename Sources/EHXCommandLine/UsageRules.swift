/// Rules between a command's options, checked first thing in `run()`
/// rather than in ArgumentParser's `validate()`: ArgumentParser calls
/// `validate()` before it reports an unknown option, so a mistyped option
/// was reported as whatever rule its absence broke (`ehx-ingest
/// --frobnicate` said "--psk is required"). A `ValidationError` thrown
/// here still prints the usage and exits 64.
public protocol UsageRules {
    func checkUsage() throws
}
