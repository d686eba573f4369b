import CShardKitZlib
import ShardKitSupport
import Testing

@testable import Imaging

/// The fast PNG path (`PNGCodec.decodeCommon`) against libpng (`PNGCodec.decodeWithLibpng`) on
/// files built here from known pixels: every filter type and colour type it takes, odd widths,
/// one-pixel images, several IDATs; and broken or unusual files, which must go to libpng.
@Suite struct PNGFastDecodeTests {
    /// Colour types the fast path takes, with their samples per pixel.
    static let colorTypes: [(type: UInt8, samples: Int)] = [(0, 1), (2, 3), (4, 2), (6, 4)]

    @Test(arguments: colorTypes.map(\.type))
    func everyFilterAndShapeMatchesLibpng(colorType: UInt8) throws {
        let samples = Self.colorTypes.first { $0.type == colorType }!.samples
        var rng = RecordKey("fast-png-\(colorType)").generator(seed: 1)
        // Rows filtered all with one type (0-4), then a mix with each type used at least once.
        let filterPlans: [(Int) -> UInt8] = (0...4).map { type in { _ in UInt8(type) } } + [{ UInt8($0 % 5) }]
        for (width, height) in [(1, 1), (1, 6), (2, 2), (3, 5), (5, 1), (17, 9), (64, 7), (127, 3)] {
            for plan in filterPlans {
                let pixels = (0..<(width * height * samples)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let png = PNGFile(width: width, height: height, colorType: colorType, pixels: pixels, filter: plan)
                for idatSplits in [1, 3] {
                    let bytes = png.bytes(idatCount: idatSplits)
                    let fast = try #require(fastDecode(bytes), "fast path refused \(width)×\(height) type \(colorType)")
                    #expect(fast == (try libpngDecode(bytes, channels: nil)))
                    // The kept channels are the file's first ones: check against the pixels put in.
                    let kept = samples == 2 || samples == 4 ? samples - 1 : samples
                    let expected = (0..<(width * height)).flatMap { p in pixels[(p * samples)..<(p * samples + kept)] }
                    #expect(fast.pixels == expected)
                    for channels in [1, 3] {
                        #expect(try PNGCodec.decode(bytes, channels: channels) == libpngDecode(bytes, channels: channels))
                    }
                }
            }
        }
    }

    @Test func metadataChunksAndEmptyIDATsStayOnTheFastPath() throws {
        let png = PNGFile(width: 9, height: 4, colorType: 2, pixels: (0..<108).map { UInt8($0 * 7 % 256) }) { _ in 4 }
        var bytes = png.bytes(idatCount: 2, emptyIDAT: true)
        let text = PNGFile.chunk("tEXt", Array("Comment\u{0}made here".utf8))
        let phys = PNGFile.chunk("pHYs", [0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1])
        // A zTXt and an iTXt whose compressed text is not zlib data: libpng only warns.
        let ztxt = PNGFile.chunk("zTXt", Array("Comment\u{0}\u{0}".utf8) + [1, 2, 3, 4])
        let itxt = PNGFile.chunk("iTXt", Array("Comment\u{0}\u{1}\u{0}en\u{0}\u{0}".utf8) + [9, 9, 9])
        // A second pHYs, and one of the wrong length: libpng only warns about those too.
        let badPhys = PNGFile.chunk("pHYs", [1, 2, 3])
        bytes.insert(contentsOf: text + phys + ztxt + itxt + phys + badPhys, at: 33)  // after IHDR
        bytes.insert(contentsOf: PNGFile.chunk("tIME", [0x07, 0xEA, 12, 6, 0, 0, 0]), at: bytes.count - 12)
        let fast = try #require(fastDecode(bytes))
        #expect(fast == (try libpngDecode(bytes, channels: nil)))
    }

    /// Files the fast path leaves to libpng, decoded by libpng as before.
    @Test func otherFilesGoToLibpng() throws {
        let rgb = PNGFile(width: 6, height: 5, colorType: 2, pixels: (0..<90).map { UInt8($0) }) { _ in 1 }
        var cases: [String: [UInt8]] = [:]
        cases["gAMA"] = rgb.bytes(extraBeforeIDAT: PNGFile.chunk("gAMA", [0, 1, 0x86, 0xA0]))
        cases["tRNS"] = rgb.bytes(extraBeforeIDAT: PNGFile.chunk("tRNS", [0, 1, 0, 2, 0, 3]))
        cases["sRGB"] = rgb.bytes(extraBeforeIDAT: PNGFile.chunk("sRGB", [0]))
        cases["private chunk"] = rgb.bytes(extraBeforeIDAT: PNGFile.chunk("prVt", [1, 2, 3]))
        var palette = PNGFile(width: 4, height: 2, colorType: 3, pixels: [0, 1, 2, 1, 2, 1, 0, 0]) { _ in 0 }
        palette.extraBeforeIDAT = PNGFile.chunk("PLTE", [255, 0, 0, 0, 255, 0, 0, 0, 255])
        cases["palette"] = palette.bytes()
        var interlaced = PNGFile(width: 1, height: 1, colorType: 0, pixels: [77]) { _ in 0 }
        interlaced.interlace = 1
        cases["interlaced"] = interlaced.bytes()
        var sixteen = PNGFile(width: 2, height: 1, colorType: 0, pixels: [1, 2, 3, 4]) { _ in 0 }
        sixteen.bitDepth = 16
        cases["16-bit"] = sixteen.bytes()
        // zlib's smallest window (512 bytes) is fine for 5 rows of 1 + 18 bytes; for more data than
        // the window, zlib checks distances against it and libdeflate does not: libpng's call.
        let big = PNGFile(width: 40, height: 40, colorType: 0, pixels: (0..<1600).map { UInt8($0 % 3) }) { _ in 0 }
        cases["window smaller than the data"] = big.bytes(windowBits: 8)
        var split = rgb.bytes(idatCount: 2)
        let secondIDAT = 33 + 12 + Int(split[33]) << 24 + Int(split[34]) << 16 + Int(split[35]) << 8 + Int(split[36])
        split.insert(contentsOf: PNGFile.chunk("tEXt", Array("a\u{0}b".utf8)), at: secondIDAT)
        cases["IDATs split by another chunk"] = split
        for (name, bytes) in cases {
            #expect(fastDecode(bytes) == nil, "\(name)")
            let libpng = Result { () throws(ImageCodecError) in try libpngDecode(bytes, channels: nil) }
            #expect(Result { () throws(ImageCodecError) in try PNGCodec.decode(bytes) } == libpng, "\(name)")
            // libpng decodes them all but the split IDATs ("Not enough image data").
            #expect((try? libpng.get()) == nil ? name == "IDATs split by another chunk" : true, "\(name)")
        }
        #expect(fastDecode(rgb.bytes(windowBits: 8)) != nil)
        #expect(try PNGCodec.decode(cases["palette"]!).pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 0] + [0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 0, 0])
    }

    /// Broken files: the fast path declines, and `decode` gives libpng's outcome (the same error,
    /// category malformed input, or for what libpng only warns about, the same pixels).
    @Test func brokenFilesGiveLibpngsOutcome() throws {
        let png = PNGFile(width: 13, height: 6, colorType: 6, pixels: (0..<312).map { UInt8($0 * 31 % 256) }) { UInt8($0 % 5) }
        let good = png.bytes(idatCount: 2)
        let idatData = 33 + 8  // first IDAT's data
        var broken: [String: [UInt8]] = [:]
        var badCRC = good
        badCRC[idatData + 3] ^= 0x40
        broken["bad IDAT CRC"] = badCRC
        broken["truncated IDAT"] = Array(good.prefix(idatData + 10))
        var shortData = png
        shortData.height = 7  // the header promises a row more than the stream holds
        broken["too little image data"] = shortData.bytes(pixelsFrom: png)
        var badFilter = png
        badFilter.filter = { $0 == 3 ? 5 : 0 }
        broken["filter type 5"] = badFilter.bytes()
        broken["bad zlib header"] = png.bytes(corruptZlibHeader: true)
        broken["bad Adler-32"] = png.bytes(corruptAdler: true)
        var longData = png
        longData.height = 5  // one row more in the stream than the header says
        broken["too much image data"] = longData.bytes(pixelsFrom: png)
        var mustThrow = ["bad IDAT CRC", "truncated IDAT", "too little image data", "filter type 5", "bad zlib header"]
        for (name, bytes) in broken {
            #expect(fastDecode(bytes) == nil, "\(name)")
            let libpng = Result { () throws(ImageCodecError) in try libpngDecode(bytes, channels: nil) }
            let ours = Result { () throws(ImageCodecError) in try PNGCodec.decode(bytes) }
            #expect(ours == libpng, "\(name)")
            if let index = mustThrow.firstIndex(of: name) {
                mustThrow.remove(at: index)
                let error = try #require(throws: ImageCodecError.self) { try PNGCodec.decode(bytes) }
                #expect(error.category == .malformedInput)
            }
        }
        #expect(mustThrow.isEmpty)
    }

    /// Random damage to the zlib stream and filter bytes (CRCs made right again, so the damage
    /// reaches inflate and unfiltering): whatever the fast path returns, libpng returns too.
    @Test(arguments: colorTypes.map(\.type))
    func damagedStreamsNeverDisagreeWithLibpng(colorType: UInt8) throws {
        let samples = Self.colorTypes.first { $0.type == colorType }!.samples
        var rng = RecordKey("fast-png-damage-\(colorType)").generator(seed: 2)
        let width = 21, height = 11
        let pixels = (0..<(width * height * samples)).map { i in UInt8(truncatingIfNeeded: i * 13 + i / 7) }
        let png = PNGFile(width: width, height: height, colorType: colorType, pixels: pixels) { UInt8($0 % 5) }
        var fastDecoded = 0
        for _ in 0..<300 {
            var stream = png.zlibStream()
            for _ in 0..<(1 + Draw.int(through: 2, using: &rng)) {
                stream[Draw.int(through: stream.count - 1, using: &rng)] ^= UInt8(1 + Draw.int(through: 254, using: &rng))
            }
            let bytes = png.bytes(stream: stream)
            guard let fast = fastDecode(bytes) else { continue }
            fastDecoded += 1
            #expect(fast == (try libpngDecode(bytes, channels: nil)))
        }
        // Stored blocks and damage past the final block's end still decode; most damage does not.
        #expect(fastDecoded < 300)
    }

    private func fastDecode(_ bytes: [UInt8]) -> Image? {
        bytes.withUnsafeBufferPointer { PNGCodec.decodeCommon($0.baseAddress!, count: $0.count) }
    }

    private func libpngDecode(_ bytes: [UInt8], channels: Int?) throws(ImageCodecError) -> Image {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageCodecError) -> Image in try PNGCodec.decodeWithLibpng(raw, channels: channels) }
        }
        return try result.get()
    }
}

/// A PNG written field by field from 8-bit (or, for `bitDepth` 16, raw) samples, with the filter
/// type of each row chosen by `filter`, compressed by zlib.
struct PNGFile {
    var width: Int
    var height: Int
    var colorType: UInt8
    var pixels: [UInt8]
    var filter: (Int) -> UInt8
    var bitDepth: UInt8 = 8
    var interlace: UInt8 = 0
    var extraBeforeIDAT: [UInt8] = []

    init(width: Int, height: Int, colorType: UInt8, pixels: [UInt8], filter: @escaping (Int) -> UInt8) {
        self.width = width
        self.height = height
        self.colorType = colorType
        self.pixels = pixels
        self.filter = filter
    }

    var bytesPerPixel: Int {
        let samples: Int = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        return samples * Int(bitDepth) / 8
    }

    /// The filtered rows: each a filter type byte, then the row filtered as the PNG specification says.
    func scanlines(rowCount: Int? = nil) -> [UInt8] {
        let n = width * bytesPerPixel, bpp = bytesPerPixel
        var out: [UInt8] = []
        for y in 0..<(rowCount ?? height) {
            let type = filter(y)
            out.append(type)
            for i in 0..<n {
                let x = Int(pixels[y * n + i])
                let a = i >= bpp ? Int(pixels[y * n + i - bpp]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * n + i]) : 0
                let c = i >= bpp && y > 0 ? Int(pixels[(y - 1) * n + i - bpp]) : 0
                let predictor: Int
                switch type {
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predictor = 0
                }
                out.append(UInt8(truncatingIfNeeded: x - predictor))
            }
        }
        return out
    }

    /// The zlib stream of the scanlines (zlib's default level; `windowBits` as zlib takes it).
    func zlibStream(windowBits: Int32 = 15, rows: [UInt8]? = nil) -> [UInt8] {
        var input = rows ?? scanlines()
        var output = [UInt8](repeating: 0, count: input.count * 2 + 64)
        var stream = z_stream()
        deflateInit2_(&stream, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        let written = input.withUnsafeMutableBufferPointer { inPointer in
            output.withUnsafeMutableBufferPointer { outPointer in
                stream.next_in = inPointer.baseAddress
                stream.avail_in = uInt(inPointer.count)
                stream.next_out = outPointer.baseAddress
                stream.avail_out = uInt(outPointer.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END)
                return outPointer.count - Int(stream.avail_out)
            }
        }
        deflateEnd(&stream)
        return Array(output.prefix(written))
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = UInt32(body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    /// The file; the zlib stream split into `idatCount` IDAT chunks (plus an empty one if asked).
    func bytes(
        idatCount: Int = 1, emptyIDAT: Bool = false, extraBeforeIDAT extra: [UInt8] = [], windowBits: Int32 = 15,
        corruptZlibHeader: Bool = false, corruptAdler: Bool = false, pixelsFrom source: PNGFile? = nil,
        stream given: [UInt8]? = nil
    ) -> [UInt8] {
        var stream = given ?? zlibStream(windowBits: windowBits, rows: source?.scanlines())
        if corruptZlibHeader { stream[0] = 0x09 }
        if corruptAdler { stream[stream.count - 1] ^= 0x55 }
        var ihdr = Self.bigEndian(UInt32(width)) + Self.bigEndian(UInt32(height))
        ihdr += [bitDepth, colorType, 0, 0, interlace]
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.chunk("IHDR", ihdr)
        out += extraBeforeIDAT + extra
        let piece = (stream.count + idatCount - 1) / idatCount
        for k in 0..<idatCount {
            out += Self.chunk("IDAT", Array(stream[min(k * piece, stream.count)..<min((k + 1) * piece, stream.count)]))
            if emptyIDAT && k == 0 { out += Self.chunk("IDAT", []) }
        }
        return out + Self.chunk("IEND", [])
    }
}
