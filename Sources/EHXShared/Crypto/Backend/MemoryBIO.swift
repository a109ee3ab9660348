import COpenSSL

/// A growable in-memory BIO that PEM writers fill, and the read-only BIO
/// over a string that PEM readers parse.
final class MemoryBIO {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .drainingQueue(operation: "BIO allocation") }
        pointer = bio
    }

    deinit { BIO_free(pointer) }

    func contents() -> String {
        var data: UnsafeMutablePointer<CChar>?
        let length = ehx_bio_get_mem_data(pointer, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// `parse` over a read-only BIO on `text`'s bytes; nil when the BIO cannot be made.
    static func reading(_ text: String, _ parse: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        Array(text.utf8).withNonNullBytes { bytes, length -> OpaquePointer? in
            guard length <= Int(Int32.max), let bio = BIO_new_mem_buf(bytes, Int32(length)) else { return nil }
            defer { BIO_free(bio) }
            return parse(bio)
        }
    }
}
