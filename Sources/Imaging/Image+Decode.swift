/// Format sniffing for encoded images: the one place that knows the signatures.
extension Image {
    /// An encoded image format recognised by its first bytes.
    public enum EncodedFormat: Sendable, Equatable {
        /// Starts with the PNG signature's first four bytes, `89 50 4E 47`.
        case png
        /// Starts with a JPEG SOI marker and the next marker's `FF`: `FF D8 FF`.
        case jpeg
    }

    /// PNG (`89 50 4E 47`) or JPEG (`FF D8 FF`) by the first bytes, else nil. Any byte sequence,
    /// so that a view into a record (the trainer's) is sniffed without a copy.
    @inlinable
    public static func encodedFormat(of bytes: some Sequence<UInt8>) -> EncodedFormat? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// Decodes PNG or JPEG bytes, recognised by their signature (`encodedFormat(of:)`).
    /// `channels` is 1, 3 or `nil` for the file's own.
    public static func decode(_ bytes: [UInt8], channels: Int? = nil) throws(ImageCodecError) -> Image {
        switch encodedFormat(of: bytes) {
        case .png: return try PNGCodec.decode(bytes, channels: channels)
        case .jpeg: return try JPEGCodec.decode(bytes, channels: channels)
        case nil: break
        }
        let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
        throw ImageCodecError(
            format: "image",
            message: bytes.isEmpty ? "empty input" : "unknown format: first bytes [\(head)] are neither PNG nor JPEG")
    }
}
