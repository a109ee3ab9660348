/// Sealed plaintexts are padded to fixed buckets, so a ciphertext's length
/// does not tell a value: unpadded, oxygen true and false, heart rate 72 and
/// 135, SpO2 100 and 94 sealed to different lengths (issue 16).
///
/// The padded plaintext is the view's JCS bytes followed by spaces (0x20) up
/// to the bucket: the smallest power of two that holds it and is at least
/// 512 bytes for a reading and 2048 for an alert. JCS never ends in a space,
/// so opening strips trailing spaces and reads the JSON; a body sealed
/// before padding opens as it did.
///
/// Both views of a body (full and research) fill the full view's bucket,
/// so the pair tells no more than one bucket does.
///
/// What still shows (`man ehx.7`, THREAT MODEL): which bucket, so an
/// oversized body (long ids, an EMG with samples, an alert with unusually
/// many reasons) is told from the rest, and an EMG's sample count to within
/// a factor of two.
public enum SealPadding {
    public static let readingBucket = 512
    public static let alertBucket = 2048

    public static func bucket(for length: Int, type: TxType) -> Int {
        var size = type == .alert ? alertBucket : readingBucket
        while size < length { size *= 2 }
        return size
    }

    /// Padded to `bucket` (at least the plaintext's length).
    public static func pad(_ plaintext: [UInt8], to bucket: Int) -> [UInt8] {
        plaintext + [UInt8](repeating: 0x20, count: max(0, bucket - plaintext.count))
    }

    public static func unpad(_ padded: [UInt8]) -> ArraySlice<UInt8> {
        var end = padded.endIndex
        while end > padded.startIndex && padded[end - 1] == 0x20 { end -= 1 }
        return padded[..<end]
    }
}
