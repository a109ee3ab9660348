// libFuzzer entry for `make fuzz` (scripts/fuzz.sh). Compiled together with
// Sources/EHXShared into one executable by swiftc -sanitize=fuzzer,address,
// so it is not part of the SwiftPM package and never runs in `make test`.
// EHX_FUZZ_TARGET picks the parser: reading, gateway, transaction, block or
// jcs.
#if canImport(Glibc)
import Glibc
#endif

enum FuzzTarget: String {
    case reading, gateway, transaction, block, jcs

    static let current: FuzzTarget = {
        guard let name = getenv("EHX_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
            fputs("fuzz: set EHX_FUZZ_TARGET to reading, gateway, transaction, block or jcs\n", stderr)
            exit(64)
        }
        return target
    }()
}

/// A fixed device key, so the MAC path runs on every parsed reading.
private let fuzzKey = [UInt8](repeating: 0x42, count: 32)

/// The gateway, with device "d" keyed as above: the seeds are canonical
/// readings of "d" MACed under that key, so mutations reach the cut path
/// (see CanonicalMAC) with a good MAC as well as a bad one.
private let gate: ReadingGate = {
    var psk = PSKFile()
    psk.add(device: "d", key: fuzzKey)
    return ReadingGate(keys: psk, workers: 1)
}()

/// The gateway reads a line its own way (a canonical line's mac cut out
/// before jansson, members read where jansson holds them, the line kept as
/// its output when canonical); every tool else reads a `JSONValue`. Both
/// must give the same verdict, in the same words, and the same bytes.
private func checkGateway(_ bytes: [UInt8]) {
    let whole: Result<ReadingGate.Prepared, RecordError>
    do throws(RecordError) {
        let value: JSONValue
        do throws(JSONError) { value = try JSONValue.parse(bytes) } catch { throw RecordError.notJSON(error) }
        whole = .success(try gate.prepare(value, authenticated: true))
    } catch {
        whole = .failure(error)
    }
    let line = Result { () throws(RecordError) in try gate.prepare(line: bytes, authenticated: true, worker: 0) }
    switch (whole, line) {
    case let (.success(a), .success(b)):
        guard a.canonical == b.canonical, a.usedPreviousKey == b.usedPreviousKey else {
            fatalError("gateway and value paths wrote different bytes for \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
    case let (.failure(a), .failure(b)):
        guard a.description == b.description else {
            fatalError("gateway and value paths refused differently: \(a) vs \(b)")
        }
    default:
        fatalError("one path accepted what the other refused: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    }
}

/// The JCS properties every parsed value must keep: canonical bytes parse
/// back to the same canonical bytes, and numbers round-trip exactly.
private func checkCanonical(_ value: JSONValue) {
    let canonical = value.canonicalBytes()
    guard let again = try? JSONValue.parse(canonical) else {
        fatalError("canonical bytes do not parse: \(String(decoding: canonical.prefix(200), as: UTF8.self))")
    }
    guard again.canonicalBytes() == canonical else {
        fatalError("canonical form is not idempotent: \(String(decoding: canonical.prefix(200), as: UTF8.self))")
    }
}

private func checkNumber(_ bytes: [UInt8]) {
    guard bytes.count >= 8 else { return }
    var bits: UInt64 = 0
    for i in 0..<8 { bits |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    let d = Double(bitPattern: bits)
    guard d.isFinite else { return }
    let text = JCS.serialize(number: d)
    guard let back = Double(text), back == d else {
        fatalError("JCS number \(d) serialized as \(text) does not read back")
    }
}

/// The verifier's read of a canonical line by its layout and the general
/// read (parsed whole, canonical only when its leaf is the line) must accept
/// the same lines and give the same transaction.
private func checkCanonicalLine(_ bytes: [UInt8]) {
    var general: Transaction?
    if let value = try? JSONValue.parse(bytes), let (tx, leaf) = try? Transaction.parseWithLeaf(value), leaf == bytes { general = tx }
    let quick = bytes.withUnsafeBytes { Transaction(canonicalLine: $0) }
    switch (general, quick) {
    case (nil, nil): return
    case let (a?, b?):
        guard a.txid == b.txid, a.unsignedBytes == b.unsignedBytes, a.body == b.body, a.signature == b.signature,
              a.signer == b.signer, a.ts == b.ts, a.type == b.type, a.bodyRange == b.bodyRange else {
            fatalError("canonical-line and general reads differ on \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
    default:
        fatalError("one read accepted what the other refused: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    }
}

/// ehx-sign's quick path for a plain reading line must write the general
/// path's line, and leave to it every line it does not take.
private let fuzzSigner = (try? Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: 32))).map { ReadingSigner(key: $0) }
private func checkSignedLine(_ bytes: [UInt8]) {
    guard let fuzzSigner else { fatalError("fuzz: no signing key") }
    let ts = Timestamp(millisecondsSince1970: 1_796_000_000_123)
    guard let quick = bytes.withUnsafeBytes({ fuzzSigner.signedLine($0, ts: ts) }) else { return }
    guard let value = try? JSONValue.parse(bytes),
          let general = try? Transaction.signWithLeaf(type: .reading, body: value, ts: ts, key: fuzzSigner.signer.key),
          general.leaf == quick.leaf, general.transaction.txid == quick.txid else {
        fatalError("the reading signer and the general signer differ on \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    }
}

/// `blobs --missing` and `--erasure-body` parse only the transactions of a
/// line that may name a blob; on a line that parses whole they must find
/// exactly what the whole parse finds (a reference missed is a blob never
/// replicated or never erased).
private func checkBlobReferences(_ bytes: [UInt8], _ block: Block) {
    var whole = BlobReferences()
    whole.add(block)
    var scanned = BlobReferences()
    do throws(ChainProblem) { try scanned.add(line: bytes, split: BlockLine.split(bytes)) } catch {
        fatalError("the blob scan refused a line that parses: \(error)")
    }
    func text(_ refs: BlobReferences) -> [String] {
        refs.stored.map { "\($0.blob.hex) \($0.patient) \($0.txid.hex)" } + refs.firmware.map(\.hex)
    }
    guard text(whole) == text(scanned) else {
        fatalError("the blob scan and the whole parse found different blobs in \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch FuzzTarget.current {
    case .jcs:
        checkNumber(bytes)
        if let value = try? JSONValue.parse(bytes) { checkCanonical(value) }
    case .reading:
        guard let value = try? JSONValue.parse(bytes) else { return 0 }
        if let reading = try? SensorReading(parsing: value) {
            _ = reading.hasValidMAC(key: fuzzKey)
            _ = reading.authenticated(key: fuzzKey).canonicalBytes()
        }
        checkSignedLine(bytes)
    case .gateway:
        checkGateway(bytes)
    case .transaction:
        checkCanonicalLine(bytes)
        guard let value = try? JSONValue.parse(bytes) else { return 0 }
        if let tx = try? Transaction(parsing: value) {
            _ = tx.hasValidSignature
            _ = tx.leaf
            _ = tx.txid
        }
    case .block:
        if let parsed = try? BlockLine.parseWithRoot(bytes) {
            _ = parsed.block.header
            for tx in parsed.block.txs { _ = tx.hasValidSignature }
            checkBlobReferences(bytes, parsed.block)
        }
    }
    return 0
}
