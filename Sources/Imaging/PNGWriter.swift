import CShardKitDeflate
import CShardKitZlib

/// Writes 8-bit gray and RGB PNG files: signature, `IHDR`, one `IDAT`, `IEND`.
///
/// The rows are filtered and compressed by our own C code (`CShardKitDeflate`): gray images unfiltered
/// unless that compresses poorly, RGB images with libpng's per-row heuristic, then a deflate
/// encoder made for scanlines that looks only for runs and codes each block with Huffman codes
/// from its own histogram. On dataset images that is as small as zlib's level 6 or smaller, in a
/// small fraction of its time, most of which went into setting up zlib's state and searching for
/// matches that filtered rows rarely have. zlib is used only for its checksums (`crc32`,
/// `adler32`). See formats/png-jpeg.md.
enum PNGWriter {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG bytes of `image` (1 or 3 channels, validated by the caller).
    static func encode(_ image: Image) throws(ImageCodecError) -> [UInt8] {
        // Gray dataset images (digits, characters) are flat background and strokes: unfiltered,
        // their rows make long runs, even across rows, of few distinct bytes, which compress
        // better than any per-row filter choice (fixture digits: 8% smaller than with libpng's
        // heuristic, which turns the strokes' edges into many distinct values). When that leaves
        // more than 6 bits a byte, the image is more like a photo: the heuristic is tried too.
        var filtered = filteredRows(image, adaptive: image.channels != 1)
        var deflated = try deflate(filtered)
        if image.channels == 1 && deflated.count * 8 > filtered.count * 6 {
            let adaptiveFiltered = filteredRows(image, adaptive: true)
            let adaptiveDeflated = try deflate(adaptiveFiltered)
            if adaptiveDeflated.count < deflated.count {
                filtered = adaptiveFiltered
                deflated = adaptiveDeflated
            }
        }
        // Signature, IHDR (8 + 13 + 4), IDAT framing (8 + 4) around the zlib header, the deflate
        // stream and the Adler-32, IEND (12).
        let total = 8 + 25 + 12 + 2 + deflated.count + 4 + 12
        return [UInt8](unsafeUninitializedCapacity: total) { out, count in
            let base = out.baseAddress!
            signature.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: 8) }
            // IHDR: width, height, bit depth 8, colour type 0 (gray) or 2 (RGB), deflate,
            // adaptive filtering, no interlace.
            storeBigEndian(13, at: base + 8)
            let ihdr = 12
            storeASCII("IHDR", at: base + ihdr)
            storeBigEndian(UInt32(image.width), at: base + ihdr + 4)
            storeBigEndian(UInt32(image.height), at: base + ihdr + 8)
            base[ihdr + 12] = 8
            base[ihdr + 13] = image.channels == 3 ? 2 : 0
            (base + ihdr + 14).initialize(repeating: 0, count: 3)
            storeBigEndian(chunkCRC(base + ihdr, count: 17), at: base + ihdr + 17)
            // IDAT: a zlib stream (RFC 1950). Header 78 01: deflate with a 32 KiB window (CINFO 7),
            // "fastest" level (FLEVEL 0), FCHECK making 0x7801 a multiple of 31.
            let dataCount = 2 + deflated.count + 4
            storeBigEndian(UInt32(dataCount), at: base + 33)
            let idat = 37
            storeASCII("IDAT", at: base + idat)
            base[idat + 4] = 0x78
            base[idat + 5] = 0x01
            deflated.withUnsafeBufferPointer { (base + idat + 6).update(from: $0.baseAddress!, count: $0.count) }
            // The zlib trailer: Adler-32 of the uncompressed (filtered) bytes.
            let adler = filtered.withUnsafeBufferPointer { UInt32(adler32(1, $0.baseAddress, uInt($0.count))) }
            storeBigEndian(adler, at: base + idat + 6 + deflated.count)
            let iend = idat + 4 + dataCount + 4
            storeBigEndian(chunkCRC(base + idat, count: 4 + dataCount), at: base + iend - 4)
            // IEND: empty, with the CRC of its type alone.
            storeBigEndian(0, at: base + iend)
            storeASCII("IEND", at: base + iend + 4)
            storeBigEndian(chunkCRC(base + iend + 4, count: 4), at: base + iend + 8)
            count = iend + 12
        }
    }

    /// The raw deflate stream of `filtered`. The corresponding C function is
    /// `shardkit_deflate_scanlines`.
    private static func deflate(_ filtered: [UInt8]) throws(ImageCodecError) -> [UInt8] {
        let stream = filtered.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: shardkit_deflate_bound(input.count)) { out, count in
                count = shardkit_deflate_scanlines(input.baseAddress, input.count, out.baseAddress)
            }
        }
        // Only a failed allocation yields nothing: every stream has at least one block header.
        guard !stream.isEmpty else { throw ImageCodecError(format: "PNG", message: "out of memory while deflating") }
        return stream
    }

    /// Every row as its filter type byte followed by the filtered bytes: filter None throughout,
    /// or with `adaptive`, per row the filter whose bytes have the smallest sum of absolute values
    /// (libpng's heuristic). The corresponding C function is `shardkit_png_filter_rows`.
    private static func filteredRows(_ image: Image, adaptive: Bool) -> [UInt8] {
        let count = (image.width * image.channels + 1) * image.height
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            image.pixels.withUnsafeBufferPointer { pixels in
                shardkit_png_filter_rows(
                    pixels.baseAddress, image.width, image.height, image.channels, adaptive ? 1 : 0, out.baseAddress)
            }
            initialized = count
        }
    }

    /// CRC-32 of a chunk's type and data, as PNG stores it after them.
    private static func chunkCRC(_ start: UnsafePointer<UInt8>, count: Int) -> UInt32 {
        UInt32(crc32(0, start, uInt(count)))
    }

    private static func storeBigEndian(_ value: UInt32, at p: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value.bigEndian, as: UInt32.self)
    }

    private static func storeASCII(_ text: StaticString, at p: UnsafeMutablePointer<UInt8>) {
        p.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
    }
}
