import Imaging
import Shards
import Testing

@_spi(Benchmarks) @testable import Trainer

/// `Preprocessor.decodeImage` reads a record's bytes as the manifest's `ImageSpec` declares them
/// (PNG, JPEG or raw pixels of its shape): nothing sniffs signatures or guesses a shape.
@Suite struct PreprocessorDecodeTests {
    /// A 4×3 gray gradient.
    let image = Image(height: 4, width: 3, channels: 1, pixels: (0..<12).map { UInt8($0 * 20) })

    /// A preprocessor of records that store 4×3×1 images as `encoding` (the manifest's spec).
    func preprocessor(_ encoding: ImageEncoding, height: Int? = 4, width: Int? = 3) -> Preprocessor {
        Preprocessor(
            spec: InputSpec(inputShape: [4, 3, 1], labels: .classifier(key: "label", classes: 2), normalization: .scale),
            training: false, stored: ImageSpec(height: height, width: width, channels: 1, encoding: encoding))
    }

    func decode(_ bytes: [UInt8], as encoding: ImageEncoding, height: Int? = 4, width: Int? = 3) throws -> Image {
        let preprocessor = preprocessor(encoding, height: height, width: width)
        return try bytes.withUnsafeBytes { try preprocessor.decodeImage($0) }
    }

    @Test func pngBytesDecodeToTheirPixels() throws {
        #expect(try decode(PNGCodec.encode(image), as: .png) == image)
        // A folder converted without --size declares no size: any PNG size is taken.
        #expect(try decode(PNGCodec.encode(image), as: .png, height: nil, width: nil) == image)
    }

    @Test func jpegBytesDecodeAsJPEG() throws {
        let jpeg = try JPEGCodec.encode(image, quality: 95)
        #expect(try decode(jpeg, as: .jpeg) == JPEGCodec.decode(jpeg, channels: 1))
    }

    /// Raw bytes are the pixels of the spec's shape, whatever their first bytes look like: twelve
    /// bytes that start with the PNG signature are still raw pixels when the spec says raw.
    @Test func rawBytesAreReadWithTheSpecsShape() throws {
        #expect(try decode(image.pixels, as: .raw) == image)
        let signatureLike: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(try decode(signatureLike, as: .raw).pixels == signatureLike)
    }

    /// What does not match the spec is an error naming the spec: a PNG that does not decode, raw
    /// bytes of another count, a PNG of another size, PNG bytes where raw ones are declared.
    @Test func bytesThatDoNotMatchTheSpecAreErrors() throws {
        let broken: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0, 0, 0, 0, 0]
        let cases: [([UInt8], ImageEncoding, String)] = [
            (broken, .png, "image: not a 4x3x1 png image: "),
            (Array(image.pixels.prefix(11)), .raw, "image: not a 4x3x1 raw image: expected 12 bytes (4x3x1), found 11"),
            (try PNGCodec.encode(Image(height: 3, width: 4, channels: 1)), .png,
             "image: not a 4x3x1 png image: the image is 3x4; the dataset's images are 4x3x1"),
            (try PNGCodec.encode(image), .raw, "image: not a 4x3x1 raw image: expected 12 bytes"),
        ]
        for (bytes, encoding, message) in cases {
            let error = #expect(throws: DataError.self) { try decode(bytes, as: encoding) }
            #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
        }
    }
}
