import CShardKitZlib
import Dispatch
import Testing

@testable import Imaging
import ShardKitSupport

/// The PNG encoder (`PNGWriter` over `CShardKitDeflate`): files libpng and zlib read back exactly, for
/// every shape and kind of content, and one file checked byte for byte.
@Suite struct PNGWriterTests {
    /// Images of the kinds datasets hold and the edge cases of the encoder.
    static func contents(height: Int, width: Int, channels: Int, seed: UInt64) -> [(String, Image)] {
        let count = height * width * channels
        var gradient = [UInt8](repeating: 0, count: count)
        var digit = [UInt8](repeating: 0, count: count)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    let i = (y * width + x) * channels + c
                    gradient[i] = UInt8(truncatingIfNeeded: x * 3 + y * 5 + c * 40)
                    // A ring with soft edges on a black background, like an MNIST digit.
                    let dx = Double(x) - Double(width) / 2
                    let dy = Double(y) - Double(height) / 2
                    let r = (dx * dx + dy * dy).squareRoot() - Double(min(width, height)) / 3
                    digit[i] = UInt8(max(0, min(255, 255 - abs(r) * 90)))
                }
            }
        }
        return [
            ("zeros", Image(height: height, width: width, channels: channels)),
            (
                "constant",
                Image(height: height, width: width, channels: channels, pixels: .init(repeating: 200, count: count))
            ),
            ("noise", TestImages.noise(height: height, width: width, channels: channels, seed: seed)),
            ("smooth", TestImages.smooth(height: height, width: width, channels: channels, seed: seed)),
            ("gradient", Image(height: height, width: width, channels: channels, pixels: gradient)),
            ("digit", Image(height: height, width: width, channels: channels, pixels: digit)),
        ]
    }

    static let shapes: [(height: Int, width: Int)] = [
        (1, 1), (1, 2), (2, 1), (1, 300), (300, 1), (2, 2), (3, 257), (257, 3), (28, 28), (64, 64), (32, 33),
    ]

    @Test(arguments: [1, 3])
    func roundTripThroughLibpngAndZlib(channels: Int) throws {
        var seed: UInt64 = 1
        for shape in Self.shapes {
            for (name, image) in Self.contents(height: shape.height, width: shape.width, channels: channels, seed: seed)
            {
                seed += 1
                let png = try PNGCodec.encode(image)
                let decoded = try PNGCodec.decode(png)
                #expect(decoded == image, "\(name) \(shape.height)×\(shape.width)×\(channels)")
                try Self.checkWithZlib(png, image)
            }
        }
    }

    @Test func randomShapes() throws {
        var rng = RecordKey(0).generator(seed: 7)
        for round in 0..<40 {
            let height = Int(rng.next() % 90) + 1
            let width = Int(rng.next() % 90) + 1
            let channels = rng.next() % 2 == 0 ? 1 : 3
            for (name, image) in Self.contents(height: height, width: width, channels: channels, seed: UInt64(round)) {
                let png = try PNGCodec.encode(image)
                #expect(try PNGCodec.decode(png) == image, "\(name) \(height)×\(width)×\(channels)")
            }
        }
    }

    /// More than one 65 535-byte deflate block: a wide row split mid-row, and a megapixel of
    /// noise (stored blocks), of zeros (long runs) and a smooth picture (dynamic blocks).
    @Test func largeImagesSpanManyBlocks() throws {
        let wide = TestImages.smooth(height: 2, width: 70_000, channels: 1)
        let images = [
            wide,
            TestImages.noise(height: 1000, width: 1000, channels: 1),
            Image(height: 1000, width: 1000, channels: 3),
            TestImages.smooth(height: 400, width: 500, channels: 3),
        ]
        for image in images {
            let png = try PNGCodec.encode(image)
            #expect(try PNGCodec.decode(png) == image)
            try Self.checkWithZlib(png, image)
        }
        // Noise cannot be compressed: stored blocks keep it within a few bytes per 64 KiB.
        let noise = try PNGCodec.encode(images[1])
        #expect(noise.count < 1_001_000 + 16 * 6 + 100)
        // A black megapixel is runs of 258 bytes: a few kilobytes.
        #expect(try PNGCodec.encode(images[2]).count < 6_000)
    }

    /// Byte counts shaped like Fibonacci numbers make a Huffman tree deeper than deflate's 15
    /// bits; the code must still be a valid one.
    @Test func skewedHistogramIsLengthLimited() throws {
        var fib = [1, 1]
        while fib.count < 22 { fib.append(fib[fib.count - 1] + fib[fib.count - 2]) }
        // Values spread so that neighbours differ: every byte is a literal, not part of a run.
        var pixels: [UInt8] = []
        var remaining = fib
        while remaining.contains(where: { $0 > 0 }) {
            for v in remaining.indices where remaining[v] > 0 {
                pixels.append(UInt8(v * 7))
                remaining[v] -= 1
            }
        }
        let image = Image(height: 1, width: pixels.count, channels: 1, pixels: pixels)
        let png = try PNGCodec.encode(image)
        #expect(try PNGCodec.decode(png) == image)
        try Self.checkWithZlib(png, image)
    }

    /// A 1×1 black gray image, derived by hand from the specifications.
    ///
    /// The filtered data is `00 00`: filter type 0 (None, which gray images get) and the pixel.
    /// Two literals and the end of block are cheapest in a fixed-code block (26 bits, against 56
    /// stored and far more for a dynamic header). Bits, in the order deflate packs them from
    /// bit 0 of each byte: BFINAL 1, BTYPE 01 as bits 1 then 0; literal 0 with the fixed code
    /// 00110000 (8 bits, sent most significant bit first), again, then end of block 0000000
    /// (7 bits), padded with zeros: 1 10 00110 | 000 00110 | 000 00000 | 00 000000, that is
    /// bytes 0x63 0x60 0x00 0x00. zlib's header 78 01 goes before, and after it the Adler-32 of
    /// `00 00`: a = 1 + 0 + 0 = 1, b = 1 + 1 = 2, so 00 02 00 01. (This is also what
    /// `zlib.compress(b"\0\0")` gives, apart from the level bits of the header.) The chunk
    /// CRCs are CRC-32 of type and data, from Python's `zlib.crc32`.
    @Test func knownBytesForOneBlackPixel() throws {
        let png = try PNGCodec.encode(Image(height: 1, width: 1, channels: 1))
        let expected: [UInt8] = [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A,  // signature
            0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,  // IHDR, 13 bytes
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00,  // 1×1, 8-bit gray
            0x3A, 0x7E, 0x9B, 0x55,  // CRC
            0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54,  // IDAT, 10 bytes
            0x78, 0x01, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01,  // zlib header, deflate, Adler-32
            0x73, 0x75, 0x01, 0x18,  // CRC
            0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,  // IEND
        ]
        #expect(png == expected)
    }

    /// No global state: images encoded on several threads at once give the same bytes as one by one.
    @Test func sameBytesOnAnyThread() throws {
        let images = (0..<64).map { i in
            i % 2 == 0
                ? TestImages.smooth(height: 20 + i, width: 30, channels: 3, seed: UInt64(i))
                : Self.contents(height: 28, width: 28, channels: 1, seed: UInt64(i))[5].1
        }
        let serial = try images.map { try PNGCodec.encode($0) }
        /// One slot per image, each written by one thread only.
        final class Results: @unchecked Sendable {
            let values: UnsafeMutableBufferPointer<[UInt8]>
            init(_ count: Int) {
                values = .allocate(capacity: count)
                values.initialize(repeating: [])
            }
            deinit {
                values.deinitialize()
                values.deallocate()
            }
        }
        let results = Results(images.count)
        DispatchQueue.concurrentPerform(iterations: images.count) { i in
            results.values[i] = (try? PNGCodec.encode(images[i])) ?? []
        }
        #expect(Array(results.values) == serial)
    }

    /// Inflates the IDAT data with zlib itself (checking the deflate stream and its Adler-32) and
    /// checks the scanlines: right length, valid filter types, and for unfiltered rows the pixels.
    static func checkWithZlib(_ png: [UInt8], _ image: Image, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        var at = 8
        var idat: [UInt8] = []
        while at + 8 <= png.count {
            let length = png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[(at + 4)..<(at + 8)], as: UTF8.self)
            if type == "IDAT" { idat += png[(at + 8)..<(at + 8 + length)] }
            at += 12 + length
        }
        let rowBytes = image.width * image.channels
        var raw = [UInt8](repeating: 0, count: (rowBytes + 1) * image.height + 1)
        var rawCount = uLongf(raw.count)
        let status = uncompress(&raw, &rawCount, idat, uLong(idat.count))
        #expect(status == Z_OK, "zlib's uncompress: \(status)", sourceLocation: sourceLocation)
        #expect(Int(rawCount) == (rowBytes + 1) * image.height, sourceLocation: sourceLocation)
        for y in 0..<image.height {
            let row = y * (rowBytes + 1)
            #expect(raw[row] <= 4, sourceLocation: sourceLocation)
            if raw[row] == 0 {
                #expect(
                    Array(raw[(row + 1)...(row + rowBytes)])
                        == Array(image.pixels[(y * rowBytes)..<((y + 1) * rowBytes)]),
                    sourceLocation: sourceLocation)
            }
        }
    }
}
