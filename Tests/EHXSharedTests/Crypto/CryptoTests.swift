import Testing

/// Parent of every crypto-layer suite, so `swift test --filter Crypto` selects
/// exactly them (Swift Testing filters on suite names, not directories).
@Suite struct CryptoTests {}
