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
    case .gateway:
        checkGateway(bytes)
    case .transaction:
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
        }
    }
    return 0
}
