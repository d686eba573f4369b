import Formats
import Foundation
import Imaging
import TestSupport
import Testing

/// A little-endian MAT v5 file built in the test, for cases the fixtures do not cover.
enum MATBytes {
    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    /// A data element: small format for 1–4 bytes, else a normal tag; padded to 8.
    static func element(_ type: UInt32, _ data: [UInt8]) -> [UInt8] {
        if (1...4).contains(data.count) {
            return u32(UInt32(data.count) << 16 | type) + data + [UInt8](repeating: 0, count: 4 - data.count)
        }
        return u32(type) + u32(UInt32(data.count)) + data + [UInt8](repeating: 0, count: (8 - data.count % 8) % 8)
    }

    static func array(_ name: String, arrayClass: UInt32, dims: [Int32], type: UInt32, data: [UInt8]) -> [UInt8] {
        let body =
            element(6, u32(arrayClass) + u32(0)) + element(5, dims.flatMap { u32(UInt32(bitPattern: $0)) })
            + element(1, Array(name.utf8)) + element(type, data)
        return u32(14) + u32(UInt32(body.count)) + body
    }

    static let header: [UInt8] =
        Array("MATLAB 5.0 MAT-file, made by a test".utf8) + [UInt8](repeating: 0x20, count: 116 - 35)
        + [UInt8](repeating: 0, count: 8) + [0x00, 0x01] + Array("IM".utf8)

    static func write(_ bytes: [UInt8], in directory: URL, name: String = "test_32x32.mat") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }
}

@Suite struct SVHNCroppedReaderTests {
    static let broken = "broken/svhn-cropped/"

    /// train: little-endian, both variables compressed, y stored as bytes (as MATLAB does);
    /// test: little-endian, plain elements, y as doubles, another variable between y and X;
    /// extra: big-endian, compressed.
    @Test(arguments: ["train_32x32.mat", "test_32x32.mat", "extra_32x32.mat"])
    func readsEveryImageAndLabelAsWritten(file: String) throws {
        let want = try expectedJSON("svhn-cropped/expected.json").dict(file)
        let reader = try SVHNCroppedReader(file: FixturePaths.fixture("svhn-cropped/" + file))
        #expect(reader.count == want.int("count"))
        #expect(reader.storedLabels.map(Int.init) == want.ints("storedLabels"))
        let samples = try readAll(reader)
        #expect(samples.count == want.int("count"))
        #expect(samples.map(\.index) == Array(0..<samples.count))
        #expect(samples.map(\.label) == want.ints("digits"))
        #expect(samples.allSatisfy { $0.image.height == 32 && $0.image.width == 32 && $0.image.channels == 3 })
        #expect(samples.map { $0.image.pixels.reduce(0) { $0 + Int($1) } } == want.ints("pixelSums"))
        for probe in want.list("probes") {
            let image = samples[probe.int("index")].image
            let at = (probe.int("row") * 32 + probe.int("col")) * 3 + probe.int("channel")
            #expect(Int(image.pixels[at]) == probe.int("value"), "\(probe)")
        }
        #expect(try reader.next() == nil)
    }

    /// Skipping (a window move in a plain file, inflate-and-drop in a compressed one) lands on the
    /// same image and label as reading; a skip past the end stops at the end.
    @Test(arguments: ["train_32x32.mat", "test_32x32.mat", "extra_32x32.mat"])
    func skipLandsWhereReadingWould(file: String) throws {
        let url = FixturePaths.fixture("svhn-cropped/" + file)
        let all = try readAll(SVHNCroppedReader(file: url))
        let reader = try SVHNCroppedReader(file: url)
        #expect(try reader.skip(3) == 3)
        #expect(try reader.next() == all[3])
        #expect(try reader.skip(0) == 0)
        #expect(try reader.next() == all[4])
        #expect(try reader.skip(1000) == all.count - 5)
        #expect(try reader.next() == nil)
        #expect(try reader.skip(1) == 0)
    }

    @Test func labelTenIsTheDigitZero() throws {
        let reader = try SVHNCroppedReader(file: FixturePaths.fixture("svhn-cropped/test_32x32.mat"))
        let tens = reader.storedLabels.indices.filter { reader.storedLabels[$0] == 10 }
        #expect(!tens.isEmpty)
        let samples = try readAll(reader)
        #expect(tens.allSatisfy { samples[$0].label == 0 })
        #expect(samples.allSatisfy { (0...9).contains($0.label) })
    }

    /// Column order to HWC, pixel by pixel, on one image whose X is 32×32×3 (MATLAB drops the
    /// trailing 1) and whose y is a single byte in a small-format element.
    @Test func columnMajorPlanesBecomeRowMajorInterleaved() throws {
        func value(_ row: Int, _ column: Int, _ channel: Int) -> UInt8 {
            UInt8((row + 3 * column + 80 * channel) % 256)
        }
        var planes: [UInt8] = []
        for channel in 0..<3 {
            for column in 0..<32 { for row in 0..<32 { planes.append(value(row, column, channel)) } }
        }
        let bytes =
            MATBytes.header + MATBytes.array("y", arrayClass: 6, dims: [1, 1], type: 2, data: [10])
            + MATBytes.array("X", arrayClass: 9, dims: [32, 32, 3], type: 2, data: planes)
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reader = try SVHNCroppedReader(file: MATBytes.write(bytes, in: directory))
        #expect(reader.count == 1)
        let sample = try #require(try reader.next())
        #expect(sample.label == 0)
        var expected: [UInt8] = []
        for row in 0..<32 {
            for column in 0..<32 { for channel in 0..<3 { expected.append(value(row, column, channel)) } }
        }
        #expect(sample.image.pixels == expected)
        #expect(Array(sample.image.pixels[0..<6]) == [0, 80, 160, 3, 83, 163])
        #expect(try reader.next() == nil)
    }

    // MARK: Broken files: one defect each, with its error kind and byte offset.

    func brokenError(_ name: String) throws -> (FormatError?, [String: Any], Int) {
        let want = try expectedJSON(Self.broken + "expected.json").dict(name)
        var read = 0
        let error = formatError {
            let reader = try SVHNCroppedReader(file: FixturePaths.fixture(Self.broken + name))
            while try reader.next() != nil { read += 1 }
        }
        #expect(error?.offset == want.int("offset"), "\(name): \(String(describing: error))")
        #expect(error?.path == FixturePaths.fixture(Self.broken + name).path)
        return (error, want, read)
    }

    @Test func badHeader() throws {
        let (e, _, _) = try brokenError("bad-header.mat")
        #expect(e?.kind == .badMagic)
        #expect(e?.message == "not a MAT-file (no byte-order mark)")
        #expect(e?.found == "\"XX\"")
    }

    @Test func truncatedImagesFailBeforeTheFirstImage() throws {
        let (e, _, read) = try brokenError("truncated-x.mat")
        #expect(e?.kind == .truncated)
        #expect(e?.message == "X: file ends inside the variable's data element")
        #expect(e?.expected == "\(48 + 8 + 8 * 3072) bytes after the tag")
        #expect(read == 0)
    }

    @Test func wrongDimensions() throws {
        let (e, _, _) = try brokenError("wrong-dims.mat")
        #expect(e?.kind == .badDimensions)
        #expect(e?.message == "X: images are not 32×32×3×N")
        #expect(e?.found == "3×32×32×8")
    }

    @Test func labelOutOfRange() throws {
        let (e, want, read) = try brokenError("y-out-of-range.mat")
        #expect(e?.kind == .badRecord)
        #expect(e?.record == want.int("record"))
        #expect(e?.message == "y: label out of range")
        #expect(e?.found == "11.0")
        #expect(read == 0)
    }

    @Test func labelCountDisagreesWithImageCount() throws {
        let (e, _, _) = try brokenError("count-mismatch.mat")
        #expect(e?.kind == .countMismatch)
        #expect(e?.expected == "8")
        #expect(e?.found == "7")
    }

    @Test func missingLabels() throws {
        let (e, _, _) = try brokenError("missing-y.mat")
        #expect(e?.kind == .missingEntry)
        #expect(e?.message == "no variable named y in the file")
    }

    /// Damaged deflate data inside X: the images before the damage come out right, then the
    /// error names the image being read and the inflated byte where zlib stopped.
    @Test func damagedCompressedStream() throws {
        let good = try expectedJSON("svhn-cropped/expected.json").dict("test_32x32.mat").ints("pixelSums")
        let reader = try SVHNCroppedReader(file: FixturePaths.fixture(Self.broken + "bad-compressed.mat"))
        var sums: [Int] = []
        let e = formatError {
            while let s = try reader.next() { sums.append(s.image.pixels.reduce(0) { $0 + Int($1) }) }
        }
        #expect(e?.kind == .compression)
        #expect(e?.offset == 248)
        #expect(e?.record == sums.count)
        #expect(e?.message.hasPrefix("X, inflated byte ") == true)
        #expect(e?.message.contains("of the compressed element: zlib data is corrupt: ") == true)
        #expect(sums.count > 0 && sums.count < 8)
        #expect(sums == Array(good.prefix(sums.count)))
        #expect(try reader.next() == nil)
    }

    @Test func compressedStreamCutShort() throws {
        let (e, _, read) = try brokenError("cut-compressed.mat")
        #expect(e?.kind == .truncated)
        #expect(e?.record == read)
        #expect(e?.message.hasSuffix("zlib stream ends early (no end-of-stream marker) inside an image") == true)
        #expect(read > 0 && read < 8)
    }

    // MARK: Hostile sizes and the wrong kind of file.

    @Test func implausibleImageCountIsRefusedBeforeAnythingIsAllocated() throws {
        let bytes =
            MATBytes.header + MATBytes.array("X", arrayClass: 9, dims: [32, 32, 3, 2_000_000_000], type: 2, data: [])
            + MATBytes.array("y", arrayClass: 6, dims: [1, 1], type: 2, data: [1])
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let e = formatError { _ = try SVHNCroppedReader(file: MATBytes.write(bytes, in: directory)) }
        #expect(e?.kind == .badDimensions)
        #expect(e?.offset == 128 + 8 + 16)
        #expect(e?.found == "2000000000")
    }

    @Test func pixelCountMustMatchTheDimensions() throws {
        let bytes =
            MATBytes.header + MATBytes.array("y", arrayClass: 6, dims: [2, 1], type: 2, data: [1, 2])
            + MATBytes.array(
                "X", arrayClass: 9, dims: [32, 32, 3, 2], type: 2, data: [UInt8](repeating: 7, count: 3072))
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let e = formatError { _ = try SVHNCroppedReader(file: MATBytes.write(bytes, in: directory)) }
        #expect(e?.kind == .badSize)
        #expect(e?.offset == 128 + 56 + 56)  // X's data tag, after y (56 bytes) and X's tag, flags, dims and name
        #expect(e?.expected == "6144 (32×32×3×2)")
        #expect(e?.found == "3072")
    }

    @Test func formatOneDigitStructIsNamedAsMATLABSevenThree() {
        let e = formatError { _ = try SVHNCroppedReader(file: FixturePaths.fixture("svhn/test/digitStruct.mat")) }
        #expect(e?.kind == .badMagic)
        #expect(e?.offset == 124)
        #expect(e?.message.contains("MATLAB v7.3 (HDF5)") == true)
    }

    @Test func missingFile() {
        let e = formatError { _ = try SVHNCroppedReader(file: FixturePaths.fixture("svhn-cropped/none_32x32.mat")) }
        #expect(e?.kind == .missingFile)
    }
}
