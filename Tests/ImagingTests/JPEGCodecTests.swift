import Testing

@testable import Imaging
import ShardKitSupport

@Suite struct JPEGCodecTests {
    @Test(arguments: [1, 3])
    func roundTripIsClose(channels: Int) throws {
        let image = TestImages.smooth(height: 40, width: 48, channels: channels)
        let bytes = try JPEGCodec.encode(image, quality: 95)
        #expect(Array(bytes.prefix(3)) == [0xFF, 0xD8, 0xFF])
        let back = try Image.decode(bytes)
        #expect([back.height, back.width, back.channels] == [40, 48, channels])
        let meanError =
            zip(back.pixels, image.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +)
            / Double(image.pixels.count)
        #expect(meanError < 6, "mean absolute error \(meanError)")
        #expect(try JPEGCodec.decode(bytes, channels: channels == 1 ? 3 : 1).channels == (channels == 1 ? 3 : 1))
        // Smaller at lower quality.
        #expect(try JPEGCodec.encode(image, quality: 30).count < bytes.count)
    }

    @Test func brokenInputsThrow() throws {
        let good = try JPEGCodec.encode(TestImages.smooth(height: 32, width: 32), quality: 90)
        let inputs: [[UInt8]] = [
            [], [0xFF, 0xD8], [0xFF, 0xD8, 0xFF, 0xE0], Array(good.prefix(good.count / 2)),
            Array(good.prefix(200)), [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 7, count: 300),
        ]
        let accepted = inputs.indices.filter { (try? JPEGCodec.decode(inputs[$0])) != nil }
        #expect(accepted == [])
        #expect(throws: ImageCodecError.self) {
            try JPEGCodec.encode(TestImages.smooth(height: 4, width: 4), quality: 0)
        }
        #expect(throws: ImageCodecError.self) { try JPEGCodec.decode(good, channels: 2) }
    }

    @Test func emptyAndUnknownInputs() {
        let empty = #expect(throws: ImageCodecError.self) { try Image.decode([]) }
        #expect(empty?.message == "empty input")
        let unknown = #expect(throws: ImageCodecError.self) { try Image.decode(Array("GIF89a".utf8)) }
        #expect(unknown?.format == "image")
        let raw = #expect(throws: ImageCodecError.self) {
            try PNGCodec.decode(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        #expect(raw?.format == "PNG")
    }

    @Test func hugeDeclaredSizeIsRejectedNotAllocated() throws {
        // A valid PNG whose IHDR claims 100000 × 100000 pixels (CRC fixed up).
        var png = try PNGCodec.encode(TestImages.smooth(height: 2, width: 2))
        for (offset, value) in [(16, UInt32(100_000)), (20, UInt32(100_000))] {
            for k in 0..<4 { png[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * k)) }
        }
        let crc = crc32(png[12..<29])
        for k in 0..<4 { png[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * k)) }
        let error = #expect(throws: ImageCodecError.self) { try PNGCodec.decode(png) }
        #expect(error?.message.contains("limit") == true)
    }

    @Test func hugeDeclaredJPEGSizeIsRejectedNotAllocated() throws {
        // A valid JPEG whose frame header (SOF0: FF C0, length, precision, height, width) claims
        // 65000 × 65000 pixels, 4.2 × 10⁹: rejected after the header, before the pixel buffer.
        var jpeg = try JPEGCodec.encode(TestImages.smooth(height: 8, width: 8), quality: 90)
        let sof = try #require(jpeg.indices.dropLast().first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        for offset in [sof + 5, sof + 7] { (jpeg[offset], jpeg[offset + 1]) = (0xFD, 0xE8) }
        let error = #expect(throws: ImageCodecError.self) { try JPEGCodec.decode(jpeg) }
        #expect(error?.format == "JPEG")
        #expect(error?.message == "image of 65000×65000 pixels is empty or larger than the limit of 67108864 pixels")
    }

    private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

@Suite struct DeterminismTests {
    /// Two threads each augmenting half the images give the bytes one thread gives.
    @Test func threadCountDoesNotChangeOutput() async throws {
        let spec = try AugmentSpec(parsing: "crop=54,resize=64,flip=lrud,brightness=0.3,contrast=0.8:1.2")
        let images = (0..<16).map { TestImages.smooth(height: 64, width: 64, seed: UInt64($0)) }
        func run(_ range: Range<Int>) -> [Image] {
            let augmenter = Augmenter(spec: spec)
            return range.map { i in
                var rng = RecordKey("record-\(i)").generator(seed: 9)
                return augmenter.apply(to: images[i], rng: &rng)
            }
        }
        let serial = run(0..<16)
        async let a = run(0..<8)
        async let b = run(8..<16)
        let parallel = await a + b
        #expect(parallel == serial)
    }
}
