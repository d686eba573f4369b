import Testing

@testable import Imaging

@Suite struct PNGCodecTests {
    @Test(arguments: [1, 3])
    func roundTrip(channels: Int) throws {
        let image = TestImages.noise(height: 17, width: 23, channels: channels)
        let bytes = try PNGCodec.encode(image)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try PNGCodec.decode(bytes) == image)
        #expect(try Image.decode(bytes) == image)
    }

    @Test func channelConversionOnDecode() throws {
        let gray = TestImages.noise(height: 5, width: 6, channels: 1)
        let bytes = try PNGCodec.encode(gray)
        #expect(try PNGCodec.decode(bytes, channels: 3) == gray.rgb())
        let rgb = TestImages.noise(height: 5, width: 6, channels: 3)
        #expect(try PNGCodec.decode(try PNGCodec.encode(rgb), channels: 1) == rgb.grayscale())
    }

    @Test func brokenInputsThrow() throws {
        let good = try PNGCodec.encode(TestImages.noise(height: 32, width: 32, channels: 3))
        var inputs: [[UInt8]] = [
            [], [0x89], Array(good.prefix(8)), Array(good.prefix(40)),
            Array(good.prefix(good.count / 2)), Array(good.dropLast(13)),
            [UInt8](repeating: 0x41, count: 1000),
        ]
        var badCRC = good
        badCRC[29] ^= 0xFF  // IHDR's CRC
        inputs.append(badCRC)
        let accepted = inputs.indices.filter { (try? PNGCodec.decode(inputs[$0])) != nil }
        #expect(accepted == [])
        // Only the 12-byte IEND chunk missing: every pixel is there, and like Pillow we accept it.
        #expect(try PNGCodec.decode(Array(good.dropLast(12))) == PNGCodec.decode(good))
        let error = try #require(throws: ImageCodecError.self) { try PNGCodec.decode(Array(good.prefix(100))) }
        #expect(error.from("a.png").description.hasPrefix("a.png: PNG: "))
    }
}
