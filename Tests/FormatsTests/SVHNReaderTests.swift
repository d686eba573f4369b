import Formats
import Foundation
import Imaging
import TestSupport
import Testing

@Suite struct SVHNReaderTests {
    static func box(_ left: Double, _ top: Double, _ width: Double, _ height: Double) -> DigitBox {
        DigitBox(label: 1, left: left, top: top, width: width, height: height)
    }

    @Test func cropRectUnclamped() {
        // Union 100…120 × 100…140: centre (110, 120), side 40 → 52, half 26.
        let rect = SVHNCrop.rect(for: [Self.box(100, 100, 20, 40)], imageWidth: 400, imageHeight: 400)
        #expect(rect == PixelRect(top: 94, left: 84, height: 52, width: 52))
    }

    @Test func cropRectUnionAndClamp() {
        // train/1.png: union x 12…47, y 6…34; centre (29.5, 20); side 35 → half 22.75;
        // left floor(6.75) = 6, top floor(-2.75) → 0, right ceil(52.25) = 53, bottom ceil(42.75) → 40.
        let boxes = [Self.box(12, 6, 16, 28), Self.box(30, 7, 17, 27)]
        #expect(
            SVHNCrop.rect(for: boxes, imageWidth: 60, imageHeight: 40)
                == PixelRect(top: 0, left: 6, height: 40, width: 47))
        // train/4.png with left = -1: everything clamps to the 52×48 image.
        let edge = [Self.box(-1, 9, 14, 30), Self.box(14, 10, 15, 29), Self.box(30, 9, 16, 30)]
        #expect(
            SVHNCrop.rect(for: edge, imageWidth: 52, imageHeight: 48)
                == PixelRect(top: 0, left: 0, height: 48, width: 52))
    }

    @Test func cropRectOutsideOrEmpty() {
        #expect(SVHNCrop.rect(for: [Self.box(500, 10, 10, 10)], imageWidth: 100, imageHeight: 100) == nil)
        #expect(SVHNCrop.rect(for: [], imageWidth: 100, imageHeight: 100) == nil)
    }

    @Test func trainSplitSamplesAndSkips() throws {
        let want = try expectedJSON("svhn/expected.json").list("train")
        let dir = FixturePaths.fixture("svhn/train")
        let reader = try SVHNReader(directory: dir)
        let samples = try readAll(reader)
        #expect(samples.map(\.name) == ["1.png", "2.png", "4.png"])
        #expect(samples.map(\.length) == [2, 1, 3])
        #expect(samples.map(\.digits) == [[1, 9, 10, 10, 10], [0, 10, 10, 10, 10], [7, 4, 0, 10, 10]])
        #expect(reader.skipped == [SVHNSkip(index: 2, name: "3.png", reason: .tooManyDigits(6))])
        for sample in samples {
            #expect(sample.image.height == 64 && sample.image.width == 64 && sample.image.channels == 3)
            let w = want[sample.index]
            let full = try PNGCodec.decode(
                [UInt8](Data(contentsOf: dir.appendingPathComponent(sample.name))), channels: 3)
            #expect(full.width == w.int("width") && full.height == w.int("height"))
            let probe = w.ints("probe")
            let at = ((full.height / 2) * full.width + full.width / 2) * 3
            #expect(full.pixels[at..<(at + 3)].map(Int.init) == probe)
            let rect = try #require(SVHNCrop.rect(for: sample.boxes, imageWidth: full.width, imageHeight: full.height))
            #expect(
                sample.image
                    == full.cropped(top: rect.top, left: rect.left, height: rect.height, width: rect.width)
                    .resizedBilinear(height: 64, width: 64))
        }
    }

    @Test func optionsChangeSizeAndLimit() throws {
        let reader = try SVHNReader(
            directory: FixturePaths.fixture("svhn/train"), options: .init(maxDigits: 6, size: 32))
        let samples = try readAll(reader)
        #expect(samples.count == 4)
        #expect(reader.skipped.isEmpty)
        #expect(samples[2].digits == [1, 2, 3, 4, 5, 6])
        #expect(samples.allSatisfy { $0.image.width == 32 && $0.image.height == 32 })
    }

    @Test func missingPNGFails() throws {
        let reader = try SVHNReader(directory: FixturePaths.fixture("broken/svhn/missing-png"))
        #expect(try reader.next()?.name == "1.png")
        let e = formatError { _ = try reader.next() }
        #expect(e?.kind == .missingFile)
        #expect(e?.record == 1)
        #expect(e?.description == "7.png: record 1: image named by digitStruct is missing")
        #expect(try reader.next() == nil)
    }

    @Test func missingPNGSkipped() throws {
        let reader = try SVHNReader(
            directory: FixturePaths.fixture("broken/svhn/missing-png"), options: .init(missingImages: .skip))
        let samples = try readAll(reader)
        #expect(samples.map(\.index) == [0, 2])
        #expect(reader.skipped == [SVHNSkip(index: 1, name: "7.png", reason: .missingImage)])
    }

    @Test func folderWithoutDigitStruct() {
        let e = formatError { _ = try SVHNReader(directory: FixturePaths.fixture("broken/svhn/no-digitstruct")) }
        #expect(e?.kind == .missingEntry)
    }
}
