import Formats
import Foundation
import Imaging
import Pipeline
import Shards
import TestSupport
import Testing

/// The SVHN recipe's image steps (`SVHNCrop`): the crop rectangle's rule, and decode → crop →
/// resize on the fixture PNGs.
@Suite struct SVHNCropTests {
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


    @Test func imageIsTheCropOfTheDecodedPNGResized() throws {
        let dir = FixturePaths.fixture("svhn/train")
        let reader = try SVHNReader(directory: dir)
        var seen = 0
        while let sample = try reader.next() {
            let png = try sample.png.read(record: sample.index)
            let image = try SVHNCrop.image(png: png, boxes: sample.boxes, path: sample.name, record: sample.index)
            #expect(image.height == 64 && image.width == 64 && image.channels == 3)
            let full = try PNGCodec.decode(png, channels: 3)
            let rect = try #require(SVHNCrop.rect(for: sample.boxes, imageWidth: full.width, imageHeight: full.height))
            #expect(
                image
                    == full.cropped(top: rect.top, left: rect.left, height: rect.height, width: rect.width)
                    .resizedBilinear(height: 64, width: 64))
            let small = try SVHNCrop.image(png: png, boxes: sample.boxes, path: sample.name, record: sample.index, size: 32)
            #expect(small.height == 32 && small.width == 32)
            seen += 1
        }
        #expect(seen == 3)
    }

    @Test func imageErrorsNameThePNGAndRecord() throws {
        let png = try [UInt8](Data(contentsOf: FixturePaths.fixture("svhn/train/1.png")))
        let outside = datasetError { () throws(DatasetError) in
            _ = try SVHNCrop.image(png: png, boxes: [Self.box(500, 10, 10, 10)], path: "train/1.png", record: 4)
        }
        #expect(outside?.kind == .badInput)
        #expect(outside?.recordIndex == 4)
        #expect(outside?.path == "train/1.png")
        #expect(outside?.message.hasPrefix("digit boxes lie outside the image") == true)
        let broken = datasetError { () throws(DatasetError) in
            _ = try SVHNCrop.image(png: Array(png.prefix(40)), boxes: [Self.box(1, 1, 5, 5)], path: "x.png", record: 2)
        }
        #expect(broken?.kind == .badInput)
        #expect(broken?.recordIndex == 2)
        #expect(broken?.message.hasPrefix("PNG does not decode") == true)
    }

    func datasetError(_ body: () throws(DatasetError) -> Void) -> DatasetError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }
}
