/// Format sniffing for encoded images.
extension Image {
    /// Decodes PNG or JPEG bytes, recognised by their signature (`89 50 4E 47` or `FF D8 FF`).
    /// `channels` is 1, 3 or `nil` for the file's own.
    public static func decode(_ bytes: [UInt8], channels: Int? = nil) throws(ImageCodecError) -> Image {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNGCodec.decode(bytes, channels: channels) }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEGCodec.decode(bytes, channels: channels) }
        let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
        throw ImageCodecError(
            format: "image",
            message: bytes.isEmpty ? "empty input" : "unknown format: first bytes [\(head)] are neither PNG nor JPEG")
    }
}
