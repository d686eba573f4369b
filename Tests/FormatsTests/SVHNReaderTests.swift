import Formats
import Foundation
import Imaging
import TestSupport
import Testing

@Suite struct SVHNReaderTests {
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
            // The reader hands the PNG over as it is on disk: nothing read, nothing decoded.
            let path = dir.appendingPathComponent(sample.name).path
            #expect(sample.png == .file(path: path))
            let bytes = try sample.png.read(record: sample.index)
            #expect(bytes == [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            let w = want[sample.index]
            let full = try PNGCodec.decode(bytes, channels: 3)
            #expect(full.width == w.int("width") && full.height == w.int("height"))
            let probe = w.ints("probe")
            let at = ((full.height / 2) * full.width + full.width / 2) * 3
            #expect(full.pixels[at..<(at + 3)].map(Int.init) == probe)
        }
    }

    @Test func optionsChangeLimit() throws {
        let reader = try SVHNReader(directory: FixturePaths.fixture("svhn/train"), options: .init(maxDigits: 6))
        let samples = try readAll(reader)
        #expect(samples.count == 4)
        #expect(reader.skipped.isEmpty)
        #expect(samples[2].digits == [1, 2, 3, 4, 5, 6])
        #expect(samples[0].digits == [1, 9, 10, 10, 10, 10])
    }

    @Test func sampleFromEntryPadsDigitsAndKeepsBoxes() throws {
        // train/2.png holds the one digit 0 (stored as label 10).
        let entries = try DigitStructReader(url: FixturePaths.fixture("svhn/train/digitStruct.mat"))
        _ = try entries.next()
        let entry = try #require(try entries.next())
        let sample = SVHNSample(entry: entry, maxDigits: 5, png: .bytes([1, 2]))
        #expect(sample.index == 1 && sample.name == "2.png" && sample.boxes == entry.boxes)
        #expect(entry.boxes.map(\.label) == [10])
        #expect(sample.length == 1)
        #expect(sample.digits == [0, 10, 10, 10, 10])
        #expect(sample.png == .bytes([1, 2]))
    }

    @Test func unreadablePNGFailsWhenRead() throws {
        // A PNG that went away after the reader checked it: the read names it and its record.
        let e = formatError { _ = try SVHNImageData.file(path: "/nonexistent/9.png").read(record: 8) }
        #expect(e?.kind == .missingFile)
        #expect(e?.record == 8)
        #expect(e?.path == "/nonexistent/9.png")
        #expect(e?.message == "image named by digitStruct is missing")
        // A folder where a PNG should be: there, but not readable as a file.
        let folder = FixturePaths.fixture("svhn/train").path
        let io = formatError { _ = try SVHNImageData.file(path: folder).read(record: 0) }
        #expect(io?.kind == .io)
        #expect(io?.message == "cannot read the image named by digitStruct")
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
