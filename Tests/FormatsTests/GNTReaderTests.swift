import Formats
import Foundation
import Imaging
import TestSupport
import Testing

@Suite struct GNTReaderTests {
    static let files = ["train/1001-c.gnt", "train/1002-c.gnt", "test/1241-c.gnt"]

    @Test(arguments: files)
    func recordsMatchGenerator(file: String) throws {
        let want = try expectedJSON("hwdb/expected.json").list(file)
        let samples = try readAll(GNTReader(file: FixturePaths.fixture("hwdb/" + file)))
        #expect(samples.count == want.count)
        for (sample, w) in zip(samples, want) {
            #expect(sample.character == w["character"] as? String)
            #expect(Int(sample.tagCode) == w.int("tagCode"))
            #expect(sample.image.width == w.int("width"))
            #expect(sample.image.height == w.int("height"))
            #expect(sample.image.channels == 1)
            #expect(sample.image.pixels.reduce(0) { $0 + Int($1) } == w.int("pixelSum"))
            #expect(Array(sample.image.pixels[0..<8]).map(Int.init) == w.ints("firstRow"))
        }
    }

    @Test func resizedTo64() throws {
        let sample = try #require(try GNTReader(file: FixturePaths.fixture("hwdb/test/1241-c.gnt")).next())
        let small = sample.resizedImage()
        #expect(small.width == 64 && small.height == 64 && small.channels == 1)
        #expect(small == sample.image.resizedBilinear(height: 64, width: 64))
    }

    @Test func symbolAndKnownCodes() throws {
        let samples = try readAll(GNTReader(file: FixturePaths.fixture("hwdb/train/1001-c.gnt")))
        #expect(samples.first?.character == "中")
        #expect(samples.first?.tagCode == 0xD6D0)
        #expect(samples.last?.character == "。")
        #expect(samples.last?.tagCode == 0xA1A3)
    }

    @Test func dictionaryBuildSaveLoad() throws {
        // Built from the training writers only; the test writer's characters must all be in it.
        let train = Self.files.filter { $0.hasPrefix("train/") }.map { FixturePaths.fixture("hwdb/" + $0) }
        let dictionary = try CharacterDictionary.build(scanning: train)
        #expect(dictionary.characters == (try expectedJSON("hwdb/expected.json").strings("dictionary")))
        for sample in try readAll(GNTReader(file: FixturePaths.fixture("hwdb/test/1241-c.gnt"))) {
            #expect(dictionary.characters[try dictionary.index(of: sample.character)] == sample.character)
        }
        #expect(try dictionary.index(of: dictionary.characters[3]) == 3)
        let e = formatError { _ = try dictionary.index(of: "龍") }
        #expect(e?.kind == .unknownKey)
        #expect(e?.message.contains("龍") == true)
        #expect(e?.message.contains("U+9F8D") == true)

        let dir = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("characters.json")
        try dictionary.save(to: url)
        #expect(try CharacterDictionary.load(from: url) == dictionary)
        try Data(#"{"中": 0, "一": 1}"#.utf8).write(to: url)
        #expect(formatError { _ = try CharacterDictionary.load(from: url) }?.kind == .badRecord)
    }

    @Test func sampleSizeDisagreesWithDimensions() throws {
        let reader = try GNTReader(file: FixturePaths.fixture("broken/hwdb/bad-size.gnt"))
        #expect(try reader.next() != nil)
        #expect(try reader.next() != nil)
        let e = formatError { _ = try reader.next() }
        #expect(e?.kind == .badRecord)
        #expect(e?.record == 2)
        let want = try expectedJSON("hwdb/expected.json").list("train/1001-c.gnt")
        let offset = want[0..<2].reduce(0) { $0 + 10 + $1.int("width") * $1.int("height") }
        #expect(e?.offset == offset)
        let area = want[2].int("width") * want[2].int("height")
        #expect(e?.found == "\(10 + area + 3)")
        #expect(try reader.next() == nil)
    }

    @Test func zeroWidth() throws {
        let reader = try GNTReader(file: FixturePaths.fixture("broken/hwdb/zero-width.gnt"))
        var good = 0
        let e = formatError { while try reader.next() != nil { good += 1 } }
        #expect(good == 1)
        #expect(e?.kind == .badRecord)
        #expect(e?.record == 1)
        #expect(e?.message == "image has zero width")
        #expect(e?.found == "0×12")
    }

    @Test func fileEndsInsideRecord() throws {
        let reader = try GNTReader(file: FixturePaths.fixture("broken/hwdb/truncated.gnt"))
        var good = 0
        let e = formatError { while try reader.next() != nil { good += 1 } }
        #expect(good == 2)
        #expect(e?.kind == .truncated)
        #expect(e?.record == 2)
        #expect(e?.message == "file ends inside an image")
        #expect(e?.description.hasPrefix("truncated.gnt: record 2 at byte ") == true)
    }

    @Test func headerCutAndBadTag() throws {
        let dir = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cut = dir.appendingPathComponent("cut.gnt")
        try Data([11, 0, 0, 0, 0xD6, 0xD0]).write(to: cut)
        let e = formatError { _ = try GNTReader(file: cut).next() }
        #expect(e?.kind == .truncated)
        #expect(e?.found == "6")
        let bad = dir.appendingPathComponent("bad.gnt")
        try Data([11, 0, 0, 0, 0xFF, 0xFF, 1, 0, 1, 0, 255]).write(to: bad)
        let d = formatError { _ = try GNTReader(file: bad).next() }
        #expect(d?.kind == .decode)
        #expect(d?.found == "0xFFFF")
        #expect(d?.offset == 4)
    }
}
