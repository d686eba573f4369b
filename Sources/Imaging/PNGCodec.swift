internal import CShardKitDeflate
internal import CShardKitPNG

/// PNG decoding and encoding through libpng's simplified API (`png_image_*`), which reports
/// failures by status and message instead of `longjmp`.
///
/// Decoding yields 8-bit gray or RGB: palettes are expanded, alpha is dropped (not composited,
/// as Pillow's `convert("RGB")` and `tf.io.decode_png(channels: 3)` do), 16-bit samples are
/// scaled to 8 bits by libpng (`round(v / 257)`, within 1 of Pillow's `v >> 8`). A gray file
/// asked for as RGB is replicated; an RGB file asked for as gray uses `Image.grayscale()`
/// (TensorFlow's `rgb_to_grayscale` weights).
///
/// The common files (8-bit gray, gray+alpha, RGB or RGBA, not interlaced, no colour-space or
/// transparency chunks) take a fast path: our own chunk walk, libdeflate's inflate and our
/// unfiltering (`CShardKitDeflate/png_decode.c`), with the same pixels as libpng's. Every other
/// file, and any file the fast path has a doubt about (a CRC, the zlib stream, a filter type),
/// goes to libpng, so errors and what libpng only warns about stay libpng's.
public enum PNGCodec {
    /// Decodes a PNG stream. `channels` is 1 or 3, or `nil` for the file's own (gray stays
    /// gray, everything else becomes RGB). The corresponding C functions are
    /// `png_image_begin_read_from_memory` and `png_image_finish_read`.
    public static func decode(_ bytes: [UInt8], channels: Int? = nil) throws(ImageCodecError) -> Image {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageCodecError) -> Image in try decode(raw, channels: channels) }
        }
        return try result.get()
    }

    /// Decodes a PNG stream from raw memory; see `decode(_:channels:)`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, channels: Int? = nil) throws(ImageCodecError) -> Image {
        if let channels, channels != 1 && channels != 3 {
            throw ImageCodecError(format: "PNG", message: "channels must be 1 or 3, not \(channels)")
        }
        guard bytes.count >= 8, let base = bytes.baseAddress else {
            throw ImageCodecError(
                format: "PNG", message: "truncated: \(bytes.count) bytes, expected at least a signature and a header")
        }
        if let image = decodeCommon(base.assumingMemoryBound(to: UInt8.self), count: bytes.count) {
            return image.converted(toChannels: channels ?? image.channels)
        }
        return try decodeWithLibpng(bytes, channels: channels)
    }

    /// The fast path: the image in the file's own channels (alpha dropped), or `nil` to ask libpng.
    static func decodeCommon(_ base: UnsafePointer<UInt8>, count: Int) -> Image? {
        var info = shardkit_png_fast_info()
        guard shardkit_png_fast_probe(base, count, &info) != 0 else { return nil }
        let width = Int(info.width), height = Int(info.height)
        guard width.multipliedReportingOverflow(by: height).partialValue <= maximumDecodedPixels else { return nil }
        // One buffer: inflated rows (with their filter bytes) in, packed pixels out at its front.
        let sampleCount = width * height * Int(info.image_channels)
        var decoded = true
        let pixels = [UInt8](unsafeUninitializedCapacity: info.inflated_bytes) { buffer, initialized in
            decoded = shardkit_png_fast_decode(base, count, &info, buffer.baseAddress) != 0
            initialized = decoded ? sampleCount : 0
        }
        guard decoded else { return nil }
        return Image(height: height, width: width, channels: Int(info.image_channels), pixels: pixels)
    }

    /// The libpng path (every file the fast path does not take); also what tests compare it with.
    static func decodeWithLibpng(_ bytes: UnsafeRawBufferPointer, channels: Int?) throws(ImageCodecError) -> Image {
        guard bytes.count >= 8, let base = bytes.baseAddress else {
            throw ImageCodecError(
                format: "PNG", message: "truncated: \(bytes.count) bytes, expected at least a signature and a header")
        }
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&png, base, bytes.count) != 0 else {
            let error = pngError(&png, "cannot read the header")
            png_image_free(&png)
            throw error
        }
        let width = Int(png.width)
        let height = Int(png.height)
        guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).partialValue <= maximumDecodedPixels,
            width <= maximumDecodedPixels, height <= maximumDecodedPixels
        else {
            png_image_free(&png)
            throw ImageCodecError(
                format: "PNG",
                message:
                    "image of \(width)×\(height) pixels is empty or larger than the limit of \(maximumDecodedPixels) pixels"
            )
        }
        let sourceColor = png.format & PNG_FORMAT_FLAG_COLOR != 0
        let sourceAlpha = png.format & PNG_FORMAT_FLAG_ALPHA != 0
        // A 16-bit file without colour-space chunks is linear to libpng: read it as 16-bit
        // linear, which passes the samples through untouched, and keep the high byte.
        let sixteen = png.format & PNG_FORMAT_FLAG_LINEAR != 0
        let nativeChannels = sourceColor ? 3 : 1
        // Read with the file's own alpha so libpng never composites; alpha is dropped below.
        var format = sourceColor ? png_uint_32(PNG_FORMAT_RGB) : png_uint_32(PNG_FORMAT_GRAY)
        if sourceAlpha { format |= png_uint_32(PNG_FORMAT_FLAG_ALPHA) }
        if sixteen { format |= png_uint_32(PNG_FORMAT_FLAG_LINEAR) }
        png.format = format
        let readChannels = nativeChannels + (sourceAlpha ? 1 : 0)
        let sampleCount = width * height * readChannels
        var buffer: [UInt8]
        var ok: Int32
        if sixteen {
            var wide = [UInt16](repeating: 0, count: sampleCount)
            ok = wide.withUnsafeMutableBytes { out in
                png_image_finish_read(&png, nil, out.baseAddress, png_int_32(width * readChannels), nil)
            }
            buffer = wide.map { UInt8(truncatingIfNeeded: $0 >> 8) }
        } else {
            buffer = [UInt8](repeating: 0, count: sampleCount)
            ok = buffer.withUnsafeMutableBytes { out in
                png_image_finish_read(&png, nil, out.baseAddress, png_int_32(width * readChannels), nil)
            }
        }
        if ok == 0 {
            let error = pngError(&png, "cannot decode the pixels")
            png_image_free(&png)
            throw error
        }
        png_image_free(&png)
        if sourceAlpha {
            buffer = dropLastChannel(buffer, pixelCount: width * height, channels: readChannels)
        }
        let image = Image(height: height, width: width, channels: nativeChannels, pixels: buffer)
        return image.converted(toChannels: channels ?? nativeChannels)
    }

    /// Encodes a gray or RGB image as an 8-bit PNG with our own encoder, `PNGWriter` (one
    /// setting: on dataset images its files are as small as zlib level 6's, in a third of the time).
    public static func encode(_ image: Image) throws(ImageCodecError) -> [UInt8] {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageCodecError(format: "PNG", message: "cannot encode \(image.channels) channels; expected 1 or 3")
        }
        guard image.width > 0, image.height > 0, image.width < Int(Int32.max) / 4, image.height < Int(Int32.max) else {
            throw ImageCodecError(
                format: "PNG", message: "cannot encode an image of \(image.width)×\(image.height) pixels")
        }
        return try PNGWriter.encode(image)
    }

    private static func pngError(_ png: inout png_image, _ fallback: String) -> ImageCodecError {
        let text = withUnsafeBytes(of: &png.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return ImageCodecError(format: "PNG", message: text.isEmpty ? fallback : "\(fallback): \(text)")
    }
}

/// Keeps the first `channels - 1` samples of each pixel.
func dropLastChannel(_ pixels: [UInt8], pixelCount: Int, channels: Int) -> [UInt8] {
    let kept = channels - 1
    return [UInt8](unsafeUninitializedCapacity: pixelCount * kept) { dst, count in
        pixels.withUnsafeBufferPointer { src in
            for p in 0..<pixelCount {
                for c in 0..<kept { dst[p * kept + c] = src[p * channels + c] }
            }
        }
        count = pixelCount * kept
    }
}
