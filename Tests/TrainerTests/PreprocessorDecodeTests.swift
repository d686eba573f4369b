import Imaging
import Testing

@_spi(Benchmarks) @testable import Trainer

/// `Preprocessor.decodeImage` tells PNG, JPEG and raw bytes apart with Imaging's one sniffer
/// (`Image.encodedFormat(of:)`), reading the record's bytes in place.
@Suite struct PreprocessorDecodeTests {
    let preprocessor = Preprocessor(
        spec: InputSpec(inputShape: [4, 3, 1], labels: .classifier(key: "label", classes: 2), normalization: .scale),
        training: false)
    /// A 4×3 gray gradient.
    let image = Image(height: 4, width: 3, channels: 1, pixels: (0..<12).map { UInt8($0 * 20) })

    func decode(_ bytes: [UInt8]) throws -> Image {
        try bytes.withUnsafeBytes { try preprocessor.decodeImage($0) }
    }

    @Test func pngBytesDecodeToTheirPixels() throws {
        #expect(try decode(PNGCodec.encode(image)) == image)
    }

    @Test func jpegBytesDecodeAsJPEG() throws {
        let jpeg = try JPEGCodec.encode(image, quality: 95)
        #expect(try decode(jpeg) == JPEGCodec.decode(jpeg, channels: 1))
    }

    /// Twelve bytes that start like neither signature are the raw pixels of the input shape.
    @Test func rawBytesAreReadWithTheInputShape() throws {
        #expect(try decode(image.pixels) == image)
    }

    /// A PNG signature followed by garbage is a PNG that does not decode, not raw bytes.
    @Test func aBrokenPNGIsADecodeError() {
        let broken: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(broken.count == image.pixels.count)
        let error = #expect(throws: DataError.self) { try decode(broken) }
        #expect(error?.message.hasPrefix("image does not decode") == true, "\(String(describing: error))")
    }
}
