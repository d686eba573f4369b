public import Imaging

/// One image file of an `ImageFolder`, read and decoded: the bytes as stored, the pixels, and
/// whether those bytes may go into a dataset as they are.
public struct FolderImage: Sendable {
    /// The file's bytes.
    public var bytes: [UInt8]
    /// PNG or JPEG, from the bytes (the name does not decide).
    public var format: Image.EncodedFormat
    /// The decoded pixels, gray or RGB as the file holds them (alpha dropped, palettes expanded).
    public var image: Image
    /// Whether a reader that decodes `bytes` as `image.channels` channels gets exactly `image`
    /// whatever it makes of extras: an 8-bit gray or RGB PNG without alpha or palette, or any
    /// JPEG we decode (gray or YCbCr; CMYK is refused). Other PNGs (16-bit, palette, alpha) are
    /// re-encoded rather than stored as they are.
    public var isPlain: Bool

    /// Reads and decodes the file at `path`. Errors: `.missingFile`/`.io` when it cannot be read,
    /// `.decode` when its bytes are not a PNG or JPEG that decodes (empty, truncated, damaged).
    public static func load(path: String) throws(FormatError) -> FolderImage {
        let bytes = try readWholeFile(path)
        guard let format = Image.encodedFormat(of: bytes) else {
            let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
            throw FormatError(
                .decode, path: path, "not a readable image",
                expected: "a PNG or JPEG", found: bytes.isEmpty ? "an empty file" : "first bytes [\(head)]")
        }
        let image: Image
        do {
            image = try format == .png ? PNGCodec.decode(bytes) : JPEGCodec.decode(bytes)
        } catch {
            throw FormatError(.decode, path: path, "not a readable image: \(error)")
        }
        return FolderImage(bytes: bytes, format: format, image: image, isPlain: format == .jpeg || isPlainPNG(bytes))
    }

    /// An 8-bit gray (colour type 0) or RGB (2) PNG, from its IHDR chunk (bit depth at byte 24,
    /// colour type at byte 25), without a `tRNS` chunk giving it transparency.
    static func isPlainPNG(_ png: [UInt8]) -> Bool {
        guard png.count > 29, Array(png[12..<16]) == Array("IHDR".utf8), png[24] == 8, png[25] == 0 || png[25] == 2
        else { return false }
        // Chunks until the first IDAT: tRNS comes before it.
        var offset = 8
        while offset + 8 <= png.count {
            let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if type == "tRNS" { return false }
            if type == "IDAT" { return true }
            offset += 12 + length
        }
        return true
    }

    /// The whole file, read through `FileSource`.
    static func readWholeFile(_ path: String) throws(FormatError) -> [UInt8] {
        let file = try FileSource(path: path)
        var bytes = [UInt8](repeating: 0, count: max(file.knownSize ?? 0, 0) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count))) }
            let start = count
            let n = try typed {
                try bytes.withUnsafeMutableBytes { raw in
                    try file.fill(UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
                }
            }
            if n == 0 { break }
            count += n
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
