import Examples
import Formats
import Foundation
import Imaging
import Pipeline
import Shards
import RecordIO
import Synth
import TestSupport
import Testing

/// Reads every record of the shards of `split` under `directory`, in shard order.
func readSplit(_ directory: URL, name: String = "synth", split: String) throws -> [Example] {
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasPrefix("\(name)-\(split).tfrecord") && !$0.hasSuffix(".index") }.sorted()
    var examples: [Example] = []
    for file in files {
        var reader = try RecordReader(path: directory.appendingPathComponent(file).path)
        while let payload = try reader.nextRecord() { examples.append(try Example(serializedBytes: payload)) }
    }
    return examples
}

@Suite struct SynthWriterTests {
    static let digits = FixturePaths.fixture("digits")

    func request(_ output: URL, train: Int = 60, test: Int = 20, jobs: Int = 1) -> SynthRequest {
        SynthRequest(
            digits: Self.digits, output: output, trainCount: train, testCount: test,
            configuration: .init(seed: 11), shards: 2, jobs: jobs, quiet: true)
    }

    @Test func writesBothSplitsWithTheSVHNSchemaAndTheManifestLast() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try SynthWriter.write(request(directory))
        #expect(summary.hasPrefix("wrote 60 train + 20 test records"))
        let manifest = try Manifest.read(from: directory.path)
        #expect(manifest.splits["train"]?.records == 60)
        #expect(manifest.splits["test"]?.records == 20)
        #expect(manifest.splits["train"]?.shards.count == 2)
        #expect(manifest.image?.shape == [64, 64, 1])
        #expect(manifest.metadata["layout"] == "free")
        #expect(manifest.metadata["seed"] == "11")
        #expect(manifest.metadata["lengths"] == "uniform")
        #expect(manifest.metadata["train_digits"] == "2000")
        #expect(manifest.metadata["test_digits"] == "500")
        #expect(Set(manifest.features.map(\.key)) == ["image", "length", "digits"])
        for split in ["train", "test"] {
            for example in try readSplit(directory, split: split) {
                #expect(example.bytes("image")?.first?.count == 64 * 64)
                let length = Int(example.int64s("length")![0])
                let digits = example.int64s("digits")!
                #expect((1...5).contains(length))
                #expect(digits.count == 5)
                #expect(digits.prefix(length).allSatisfy { (0...9).contains($0) })
                #expect(digits.dropFirst(length).allSatisfy { $0 == 10 })
            }
        }
    }

    @Test func outputIsByteIdenticalWhateverTheNumberOfJobs() throws {
        let one = try FixturePaths.makeScratchDirectory()
        let three = try FixturePaths.makeScratchDirectory()
        defer {
            try? FileManager.default.removeItem(at: one)
            try? FileManager.default.removeItem(at: three)
        }
        // More records than one batch (256 per job), so batches and buffer swaps are exercised.
        _ = try SynthWriter.write(request(one, train: 700, test: 30, jobs: 1))
        _ = try SynthWriter.write(request(three, train: 700, test: 30, jobs: 3))
        let (a, b) = (try regularFiles(under: one), try regularFiles(under: three))
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.count == 11)  // 4 shards, 4 index files (in index/), features.json, dataset_info.json, manifest.json
        for (name, bytes) in a {
            #expect(bytes == b[name], "\(name) differs between --jobs 1 and --jobs 3")
        }
    }

    @Test func eachSplitUsesOnlyTheDigitsOfItsOwnFile() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var request = request(directory, train: 150, test: 150)
        request.configuration.layout = .fixed
        _ = try SynthWriter.write(request)
        let trainDigits = Set(try DigitSource.mnist(directory: Self.digits, split: .train).images.map(\.pixels))
        let testDigits = Set(try DigitSource.mnist(directory: Self.digits, split: .test).images.map(\.pixels))
        let disjoint = trainDigits.isDisjoint(with: testDigits)
        for (split, own, other) in [("train", trainDigits, testDigits), ("test", testDigits, trainDigits)] {
            let examples = try readSplit(directory, split: split)
            #expect(examples.count == 150)
            for example in examples {
                let image = Image(height: 28, width: 140, channels: 1, pixels: example.bytes("image")![0])
                let length = Int(example.int64s("length")![0])
                for slot in 0..<length {
                    let digit = image.cropped(top: 0, left: slot * 28, height: 28, width: 28).pixels
                    #expect(own.contains(digit))
                    if disjoint { #expect(!other.contains(digit)) }
                }
                // Empty slots are blank.
                for slot in length..<5 {
                    let blank = image.cropped(top: 0, left: slot * 28, height: 28, width: 28).pixels
                    #expect(blank.allSatisfy { $0 == 0 })
                }
            }
        }
    }

    /// `channels: 3` writes SVHN's shape, each pixel the gray value of the default output in R, G, B.
    @Test func threeChannelsReplicateTheGrayOutput() throws {
        let gray = try FixturePaths.makeScratchDirectory()
        let rgb = try FixturePaths.makeScratchDirectory()
        defer {
            try? FileManager.default.removeItem(at: gray)
            try? FileManager.default.removeItem(at: rgb)
        }
        _ = try SynthWriter.write(request(gray, train: 25, test: 0))
        var rgbRequest = request(rgb, train: 25, test: 0)
        rgbRequest.configuration.channels = 3
        _ = try SynthWriter.write(rgbRequest)
        #expect(try Manifest.read(from: rgb.path).image?.shape == [64, 64, 3])
        let grayExamples = try readSplit(gray, split: "train")
        let rgbExamples = try readSplit(rgb, split: "train")
        #expect(grayExamples.count == 25 && rgbExamples.count == 25)
        for (a, b) in zip(grayExamples, rgbExamples) {
            let pixels = a.bytes("image")![0]
            #expect(b.bytes("image")![0] == pixels.flatMap { [$0, $0, $0] })
            #expect(a.int64s("digits") == b.int64s("digits"))
        }
    }

    @Test func pngEncodingHoldsTheSamePixelsAsRaw() throws {
        let raw = try FixturePaths.makeScratchDirectory()
        let png = try FixturePaths.makeScratchDirectory()
        defer {
            try? FileManager.default.removeItem(at: raw)
            try? FileManager.default.removeItem(at: png)
        }
        _ = try SynthWriter.write(request(raw, train: 10, test: 0))
        var pngRequest = request(png, train: 10, test: 0)
        pngRequest.imageEncoding = .png
        _ = try SynthWriter.write(pngRequest)
        let rawExamples = try readSplit(raw, split: "train")
        let pngExamples = try readSplit(png, split: "train")
        #expect(rawExamples.count == 10 && pngExamples.count == 10)
        for (a, b) in zip(rawExamples, pngExamples) {
            let decoded = try PNGCodec.decode(b.bytes("image")![0])
            #expect(decoded.height == 64 && decoded.width == 64 && decoded.channels == 1)
            #expect(decoded.pixels == a.bytes("image")![0])
            #expect(a.int64s("digits") == b.int64s("digits"))
        }
        #expect(try Manifest.read(from: png.path).image?.encoding == .png)
    }

    @Test func augmentedCopiesShareLabelsAndDiffer() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var request = request(directory, train: 20, test: 0)
        request.augment = try AugmentSpec(parsing: "crop=54,resize=64,brightness=0.3,contrast=0.8:1.2")
        request.copies = 3
        _ = try SynthWriter.write(request)
        let examples = try readSplit(directory, split: "train")
        #expect(examples.count == 60)
        var differing = 0
        for index in 0..<20 {
            let copies = examples[(3 * index)..<(3 * index + 3)]
            #expect(Set(copies.map { $0.int64s("digits")! }).count == 1)
            #expect(copies.allSatisfy { $0.bytes("image")![0].count == 64 * 64 })
            if Set(copies.map { $0.bytes("image")![0] }).count == 3 { differing += 1 }
        }
        #expect(differing >= 18)
        let manifest = try Manifest.read(from: directory.path)
        #expect(manifest.metadata["augment"] == "crop=54,resize=64,brightness=0.3,contrast=0.8:1.2")
        #expect(manifest.metadata["copies"] == "3")
    }

    @Test func previewShowsTheFirstRecordsAboutToBeWritten() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var request = request(directory.appendingPathComponent("out"), train: 12, test: 0)
        let preview = directory.appendingPathComponent("preview.png")
        request.preview = preview
        request.previewCount = 5
        _ = try SynthWriter.write(request)
        let sheet = try PNGCodec.decode(try [UInt8](Data(contentsOf: preview)))
        // 5 cells of 64 in one row: 5 × 66 + 2 wide, 64 + 9 + 2 + 2 high.
        #expect(sheet.width == 5 * 66 + 2 && sheet.height == 64 + 9 + 2 + 2)
        let first = try readSplit(directory.appendingPathComponent("out"), split: "train")[0]
        let cell = sheet.cropped(top: 2, left: 2, height: 64, width: 64)
        // The sheet is RGB; the gray record appears with its value in R, G and B.
        let gray = first.bytes("image")![0]
        #expect(cell.channels == 3 && gray.count == 64 * 64)
        #expect(cell.pixels == gray.flatMap { [$0, $0, $0] }, "the first cell is not the first record")
    }

    @Test func refusesToWriteOverAnExistingDataset() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try SynthWriter.write(request(directory, train: 5, test: 0))
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect {
            try SynthWriter.write(request(directory, train: 7, test: 0))
        } throws: { error in
            (error as? DatasetError)?.kind == .outputExists
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == before)
        #expect(try Manifest.read(from: directory.path).splits["train"]?.records == 5)
    }

    @Test func aMissingTestSplitLeavesNoDataset() throws {
        // A digit folder with a train split only: asking for a test split fails (both sources are
        // loaded before anything is written) and nothing that looks like a dataset is left.
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let digits = directory.appendingPathComponent("digits")
        try FileManager.default.createDirectory(at: digits, withIntermediateDirectories: true)
        for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(
                at: Self.digits.appendingPathComponent(name), to: digits.appendingPathComponent(name))
        }
        var request = request(directory.appendingPathComponent("out"), train: 10, test: 10)
        request.digits = digits
        #expect {
            try SynthWriter.write(request)
        } throws: { error in
            (error as? DatasetError)?.kind == .noInput
        }
        let left =
            (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("out").path)) ?? []
        #expect(left.filter { !$0.hasPrefix(".") }.isEmpty, "\(left)")
        request.testCount = 0
        #expect(try SynthWriter.write(request).hasPrefix("wrote 10 train records"))
    }

    @Test func aMissingDigitFolderIsANoInputError() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var request = request(directory)
        request.digits = URL(fileURLWithPath: "/nonexistent/digits")
        #expect {
            try SynthWriter.write(request)
        } throws: { error in
            (error as? DatasetError)?.kind == .noInput
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("manifest.json").path))
    }
}
