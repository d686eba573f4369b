internal import CShardKitJPEG

/// JPEG decoding and encoding through libjpeg-turbo, behind the `CShardKitJPEG` shim whose error
/// manager `longjmp`s back and returns a status and libjpeg's message. Warnings such as
/// "premature end of data segment" count as errors, so a truncated file never decodes to a
/// partly grey image. CMYK and YCCK files are rejected.
public enum JPEGCodec {
    /// Decodes a JPEG stream to gray (`channels: 1`) or RGB (`3`); `nil` keeps the file's own
    /// (gray stays gray, colour becomes RGB). libjpeg does the colour conversion. The
    /// corresponding C functions are `jpeg_read_header`, `jpeg_start_decompress` and
    /// `jpeg_read_scanlines`.
    public static func decode(_ bytes: [UInt8], channels: Int? = nil) throws(ImageCodecError) -> Image {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageCodecError) -> Image in try decode(raw, channels: channels) }
        }
        return try result.get()
    }

    /// Decodes a JPEG stream from raw memory; see `decode(_:channels:)`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, channels: Int? = nil) throws(ImageCodecError) -> Image {
        if let channels, channels != 1 && channels != 3 {
            throw ImageCodecError(format: "JPEG", message: "channels must be 1 or 3, not \(channels)")
        }
        guard bytes.count >= 4, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw ImageCodecError(format: "JPEG", message: "truncated: \(bytes.count) bytes")
        }
        var width: Int32 = 0
        var height: Int32 = 0
        var components: Int32 = 0
        var status = shardkit_jpeg_read_header(base, bytes.count, &width, &height, &components)
        if status.status != 0 { throw jpegError(&status) }
        if components == 4 {
            throw ImageCodecError(format: "JPEG", message: "CMYK/YCCK JPEG is not supported; convert it to RGB first")
        }
        let w = Int(width)
        let h = Int(height)
        guard w > 0, h > 0, w * h <= maximumDecodedPixels else {
            throw ImageCodecError(
                format: "JPEG",
                message: "image of \(w)×\(h) pixels is empty or larger than the limit of \(maximumDecodedPixels) pixels"
            )
        }
        let outChannels = channels ?? (components == 1 ? 1 : 3)
        let count = w * h * outChannels
        var pixels = [UInt8](repeating: 0, count: count)
        status = pixels.withUnsafeMutableBufferPointer { out in
            shardkit_jpeg_decode(base, bytes.count, Int32(outChannels), out.baseAddress, count)
        }
        if status.status != 0 { throw jpegError(&status) }
        return Image(height: h, width: w, channels: outChannels, pixels: pixels)
    }

    /// Encodes a gray or RGB image at `quality` 1...100 (libjpeg's standard tables, 4:2:0
    /// chroma subsampling for RGB). The corresponding C functions are `jpeg_set_quality` and
    /// `jpeg_write_scanlines`.
    public static func encode(_ image: Image, quality: Int = 95) throws(ImageCodecError) -> [UInt8] {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageCodecError(format: "JPEG", message: "cannot encode \(image.channels) channels; expected 1 or 3")
        }
        guard (1...100).contains(quality) else {
            throw ImageCodecError(format: "JPEG", message: "quality \(quality) outside 1...100")
        }
        guard image.width > 0, image.height > 0, image.width <= 65500, image.height <= 65500 else {
            throw ImageCodecError(
                format: "JPEG", message: "cannot encode an image of \(image.width)×\(image.height) pixels")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var status = image.pixels.withUnsafeBufferPointer { src in
            shardkit_jpeg_encode(
                src.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                Int32(quality), &out, &size)
        }
        if status.status != 0 { throw jpegError(&status) }
        defer { shardkit_jpeg_free(out) }
        guard let out else { throw ImageCodecError(format: "JPEG", message: "encoder returned no data") }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    private static func jpegError(_ result: inout shardkit_jpeg_result) -> ImageCodecError {
        let text = withUnsafeBytes(of: &result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return ImageCodecError(format: "JPEG", message: text.isEmpty ? "cannot decode" : text)
    }
}
