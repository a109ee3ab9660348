#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Whether the string's UTF-8 is exactly `bytes`, by one memcmp rather
    /// than walking `utf8` (record names checked once per reading).
    func utf8Equals(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var text = self
        return text.withUTF8 { own in
            guard own.count == bytes.count else { return false }
            guard let a = own.baseAddress, let b = bytes.baseAddress else { return own.isEmpty }
            return memcmp(a, b, own.count) == 0
        }
    }
}

extension Array where Element == UInt8 {
    /// Byte equality with `other` in one memcmp (a generic element-wise
    /// compare cost more than the rest of a canonical-form check).
    func bytesEqual(_ other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { mine in
            guard let a = mine.baseAddress, let b = other.baseAddress else { return mine.isEmpty }
            return memcmp(a, b, mine.count) == 0
        }
    }
}
