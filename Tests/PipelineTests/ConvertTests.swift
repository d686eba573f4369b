import Examples
import Formats
import Foundation
import Imaging
import Pipeline
import Shards
import RecordIO
import TestSupport
import Testing

/// Helpers shared by the convert tests: converting into scratch directories and reading back.
enum ConvertTesting {
    static func convert(
        _ format: DatasetFormat, input: URL, sharding: ShardingPolicy = .shards(2), jobs: Int = 2,
        configure: (inout ConvertOptions) -> Void = { _ in }
    ) throws -> (URL, ConvertSummary) {
        let output = try FixturePaths.makeScratchDirectory("shardkit-convert").appendingPathComponent("out")
        var options = ConvertOptions(
            input: input, output: output, sharding: sharding, jobs: jobs, quiet: true, durable: false)
        configure(&options)
        return (output, try DatasetConverter.convert(format, options: options))
    }

    /// The Examples of `split`, shard by shard in order, from manifest.json.
    static func examples(_ output: URL, split: String) throws -> [Example] {
        let manifest = try Manifest.read(from: output.path)
        var result: [Example] = []
        for shard in manifest.splits[split]?.shards ?? [] {
            var reader = try RecordReader(path: output.appendingPathComponent(shard.file).path)
            while let payload = try reader.next() { result.append(try Example(serializedBytes: payload)) }
        }
        return result
    }

    static func image(_ example: Example) throws -> Image {
        try PNGCodec.decode(example.bytes("image")![0])
    }

    /// Every regular file below `directory`, relative path → bytes (hidden files and `index/` included).
    static func files(_ directory: URL) throws -> [String: Data] {
        try regularFiles(under: directory)
    }

    static func remove(_ output: URL) {
        try? FileManager.default.removeItem(at: output.deletingLastPathComponent())
    }
}

@Suite struct ConvertTests {
    @Test func mnistImagesAndLabelsEqualTheSource() throws {
        let (output, summary) = try ConvertTesting.convert(.mnist, input: FixturePaths.fixture("mnist"))
        defer { ConvertTesting.remove(output) }
        #expect(summary.splits.map(\.name) == ["train", "test"])
        #expect(summary.splits.map(\.records) == [20, 10])
        #expect(summary.splits.map(\.shards) == [2, 2])
        for (split, prefix) in [("train", "train"), ("test", "t10k")] {
            let reader = try MNISTReader(
                images: FixturePaths.fixture("mnist/\(prefix)-images-idx3-ubyte"),
                labels: FixturePaths.fixture("mnist/\(prefix)-labels-idx1-ubyte"))
            let examples = try ConvertTesting.examples(output, split: split)
            #expect(examples.count == reader.count)
            for example in examples {
                let sample = try #require(try reader.next())
                #expect(example.int64s("label") == [Int64(sample.label)])
                #expect(try ConvertTesting.image(example) == sample.image)
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path)
        for file in ["manifest.json", "dataset_info.json", "features.json", "mnist-train.tfrecord-00000-of-00002"] {
            #expect(names.contains(file), "\(file) missing")
        }
        #expect(!names.contains { $0.hasPrefix(".shardkit-staging") })
    }

    @Test func mnistRawEncodingStoresThePixels() throws {
        let (output, _) = try ConvertTesting.convert(.mnist, input: FixturePaths.fixture("mnist")) {
            $0.imageEncoding = .raw
        }
        defer { ConvertTesting.remove(output) }
        let reader = try MNISTReader(
            images: FixturePaths.fixture("mnist/t10k-images-idx3-ubyte"),
            labels: FixturePaths.fixture("mnist/t10k-labels-idx1-ubyte"))
        let first = try ConvertTesting.examples(output, split: "test")[0]
        #expect(first.bytes("image")![0] == (try reader.next())!.image.pixels)
        let features = try String(contentsOf: output.appendingPathComponent("features.json"), encoding: .utf8)
        #expect(features.contains("\"encoding\" : \"bytes\""))
        #expect(try Manifest.read(from: output.path).image == ImageSpec(key: "image", height: 28, width: 28, channels: 1, encoding: .raw))
    }

    @Test(arguments: [CIFARVariant.cifar10, .cifar100])
    func cifarRecordsEqualTheSource(variant: CIFARVariant) throws {
        let format: DatasetFormat = variant == .cifar10 ? .cifar10 : .cifar100
        let (output, summary) = try ConvertTesting.convert(format, input: FixturePaths.fixture(variant.rawValue))
        defer { ConvertTesting.remove(output) }
        let files = variant == .cifar10 ? ["data_batch_1.bin", "test_batch.bin"] : ["train.bin", "test.bin"]
        #expect(summary.splits.map(\.records) == (variant == .cifar10 ? [12, 6] : [10, 5]))
        for (split, file) in zip(["train", "test"], files) {
            let reader = try CIFARReader(file: FixturePaths.fixture("\(variant.rawValue)/\(file)"), variant: variant)
            for (i, example) in try ConvertTesting.examples(output, split: split).enumerated() {
                let sample = try #require(try reader.next())
                #expect(example.bytes("id") == [Array("\(split)_\(String(format: "%05d", i))".utf8)])
                #expect(example.int64s("label") == [Int64(sample.label)])
                #expect(example.int64s("coarse_label") == sample.coarseLabel.map { [Int64($0)] })
                #expect(try ConvertTesting.image(example) == sample.image)
            }
        }
        let labels = try String(contentsOf: output.appendingPathComponent("label.labels.txt"), encoding: .utf8)
        let names = try #require(
            try CIFARLabelNames.load(from: FixturePaths.fixture(variant.rawValue), variant: variant))
        #expect(labels == names.names.joined(separator: "\n") + "\n")
    }

    @Test func svhnSplitsSkipsAndRecords() throws {
        let (output, summary) = try ConvertTesting.convert(.svhn, input: FixturePaths.fixture("svhn"))
        defer { ConvertTesting.remove(output) }
        // The default fraction (0.1) gives none of the 3 train records to validation: no split
        // is written empty, so there is no validation split at all.
        #expect(summary.splits.map(\.name) == ["train", "test"])
        #expect(summary.splits[0].records == 3)
        #expect(summary.splits[1].records == 2)
        #expect(summary.skipped == ["more than 5 digits": 1])
        let reader = try SVHNReader(directory: FixturePaths.fixture("svhn/test"))
        for example in try ConvertTesting.examples(output, split: "test") {
            let sample = try #require(try reader.next())
            let image = try SVHNCrop.image(
                png: sample.png.read(record: sample.index), boxes: sample.boxes, path: sample.name, record: sample.index)
            #expect(example.bytes("image")![0] == image.pixels)
            #expect(example.int64s("length") == [Int64(sample.length)])
            #expect(example.int64s("digits") == sample.digits.map(Int64.init))
            #expect(example.int64s("bbox/label") == sample.boxes.map { Int64($0.digit) })
            #expect(example.int64s("bbox/left") == sample.boxes.map { Int64($0.left) })
            #expect(example.bytes("filename") == [Array("test/\(sample.name)".utf8)])
        }
    }

    @Test func svhnValidationIsChosenPerFileNameNotByPosition() throws {
        // With a fraction near 1 almost every train record moves to validation; which ones depends
        // only on (seed, filename), so the assignment is the same whatever the jobs.
        let (a, sa) = try ConvertTesting.convert(.svhn, input: FixturePaths.fixture("svhn"), jobs: 1) {
            $0.validationFraction = 0.5
            $0.seed = 7
        }
        let (b, sb) = try ConvertTesting.convert(.svhn, input: FixturePaths.fixture("svhn"), jobs: 4) {
            $0.validationFraction = 0.5
            $0.seed = 7
        }
        defer {
            ConvertTesting.remove(a)
            ConvertTesting.remove(b)
        }
        #expect(sa.splits == sb.splits)
        let train = try ConvertTesting.examples(a, split: "train").map { $0.bytes("filename")![0] }
        let validation = try ConvertTesting.examples(a, split: "validation").map { $0.bytes("filename")![0] }
        #expect(train.count + validation.count == 3)
        #expect(Set(train).isDisjoint(with: validation))
    }

    @Test func hwdbLabelsCharactersAndImages() throws {
        let (output, summary) = try ConvertTesting.convert(.hwdb, input: FixturePaths.fixture("hwdb"))
        defer { ConvertTesting.remove(output) }
        #expect(summary.splits.map(\.records) == [10, 3])
        let dictionary = try CharacterDictionary.load(from: output.appendingPathComponent("characters.json"))
        let trainFiles = ["1001-c.gnt", "1002-c.gnt"].map { FixturePaths.fixture("hwdb/train/\($0)") }
        #expect(dictionary == (try CharacterDictionary.build(scanning: trainFiles)))
        var samples: [(GNTSample, String)] = []
        for file in trainFiles {
            let reader = try GNTReader(file: file)
            while let sample = try reader.next() {
                samples.append((sample, file.deletingPathExtension().lastPathComponent))
            }
        }
        let examples = try ConvertTesting.examples(output, split: "train")
        #expect(examples.count == samples.count)
        for (example, (sample, writer)) in zip(examples, samples) {
            #expect(example.bytes("character") == [Array(sample.character.utf8)])
            #expect(example.int64s("label") == [Int64(try dictionary.index(of: sample.character))])
            #expect(example.bytes("writer") == [Array(writer.utf8)])
            #expect(try ConvertTesting.image(example) == sample.resizedImage(side: 64))
        }
    }

    @Test func hwdbSizeOption() throws {
        let (output, _) = try ConvertTesting.convert(.hwdb, input: FixturePaths.fixture("hwdb")) { $0.size = 32 }
        defer { ConvertTesting.remove(output) }
        let image = try ConvertTesting.image(try ConvertTesting.examples(output, split: "test")[0])
        #expect(image.height == 32 && image.width == 32 && image.channels == 1)
    }

    @Test(arguments: [DatasetFormat.mnist, .svhn, .hwdb])
    func outputIsByteIdenticalForOneTwoAndFourJobs(format: DatasetFormat) throws {
        let input = FixturePaths.fixture(format == .mnist ? "digits" : format.rawValue)
        var outputs: [URL] = []
        defer { outputs.forEach(ConvertTesting.remove) }
        for jobs in [1, 2, 4] {
            let (output, _) = try ConvertTesting.convert(format, input: input, jobs: jobs)
            outputs.append(output)
        }
        let reference = try ConvertTesting.files(outputs[0])
        #expect(reference.count > 4)
        for output in outputs.dropFirst() {
            #expect(try ConvertTesting.files(output) == reference)
        }
    }

    @Test func shardSizeRotatesShards() throws {
        let (output, summary) = try ConvertTesting.convert(
            .mnist, input: FixturePaths.fixture("digits"), sharding: .shardBytes(50_000))
        defer { ConvertTesting.remove(output) }
        #expect(summary.splits.map(\.records) == [2000, 500])
        let manifest = try Manifest.read(from: output.path)
        let train = try #require(manifest.splits["train"])
        #expect(train.shards.count > 2)
        #expect(train.shards.dropLast().allSatisfy { $0.bytes >= 50_000 })
        #expect(train.shards.last!.file.hasSuffix("-of-\(String(format: "%05d", train.shards.count))"))
        #expect(try ConvertTesting.examples(output, split: "train").count == 2000)
    }

    @Test func aFailureMidWayLeavesNoShardAndNoManifest() throws {
        // Good train split, broken test split: train is complete before the error.
        let input = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: input) }
        let fm = FileManager.default
        try fm.createDirectory(at: input.appendingPathComponent("train"), withIntermediateDirectories: true)
        try fm.createDirectory(at: input.appendingPathComponent("test"), withIntermediateDirectories: true)
        for name in ["1001-c.gnt", "1002-c.gnt"] {
            try fm.copyItem(
                at: FixturePaths.fixture("hwdb/train/\(name)"), to: input.appendingPathComponent("train/\(name)"))
        }
        try fm.copyItem(
            at: FixturePaths.fixture("broken/hwdb/bad-size.gnt"), to: input.appendingPathComponent("test/bad-size.gnt"))
        let output = input.appendingPathComponent("out")
        let options = ConvertOptions(input: input, output: output, jobs: 2, quiet: true, durable: false)
        do {
            _ = try DatasetConverter.convert(.hwdb, options: options)
            Issue.record("conversion of a broken file succeeded")
        } catch {
            #expect(error.kind == .badInput)
            #expect(error.path?.hasSuffix("test/bad-size.gnt") == true)
            #expect(error.recordIndex == 2)
        }
        // The failed run removes the output folder it made.
        #expect(!fm.fileExists(atPath: output.path))
    }

    @Test func anExistingDatasetIsNotOverwritten() throws {
        let (output, _) = try ConvertTesting.convert(.cifar10, input: FixturePaths.fixture("cifar10"))
        defer { ConvertTesting.remove(output) }
        let options = ConvertOptions(input: FixturePaths.fixture("cifar10"), output: output, quiet: true)
        #expect(throws: DatasetError.self) { try DatasetConverter.convert(.cifar10, options: options) }
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
    }
}

@Suite struct ConvertDictionaryTests {
    func hwdbOptions(_ output: URL, dictionary: URL) -> ConvertOptions {
        ConvertOptions(
            input: FixturePaths.fixture("hwdb"), output: output, jobs: 2, quiet: true, durable: false,
            dictionary: dictionary)
    }

    @Test func aSuppliedDictionaryIsUsedAndCopied() throws {
        let (first, _) = try ConvertTesting.convert(.hwdb, input: FixturePaths.fixture("hwdb"))
        defer { ConvertTesting.remove(first) }
        let scratch = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        _ = try DatasetConverter.convert(
            .hwdb, options: hwdbOptions(output, dictionary: first.appendingPathComponent("characters.json")))
        #expect(
            try Data(contentsOf: output.appendingPathComponent("characters.json"))
                == Data(contentsOf: first.appendingPathComponent("characters.json")))
        #expect(try Manifest.read(from: output.path).metadata["dictionary"] == "characters.json")
    }

    @Test func aCharacterMissingFromTheDictionaryIsNamed() throws {
        let scratch = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let train = ["1001-c.gnt", "1002-c.gnt"].map { FixturePaths.fixture("hwdb/train/\($0)") }
        let full = try CharacterDictionary.build(scanning: train)
        let dropped = full.characters[0]
        let partial = CharacterDictionary(characters: full.characters.dropFirst())
        let url = scratch.appendingPathComponent("partial.json")
        try partial.save(to: url)
        let output = scratch.appendingPathComponent("out")
        do {
            _ = try DatasetConverter.convert(.hwdb, options: hwdbOptions(output, dictionary: url))
            Issue.record("a character outside the dictionary was accepted")
        } catch {
            #expect(error.kind == .badInput)
            #expect(error.message.contains("\"\(dropped)\""))
            #expect(error.path?.hasSuffix(".gnt") == true && error.recordIndex != nil)
        }
        // The failed run removes the output folder it made.
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}

@Suite struct ConvertStagingTests {
    @Test func aKilledRunsStagingFolderIsRemovedByTheNextRun() throws {
        let scratch = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        // No process has pid 2^22 + 1 (above Linux's default pid_max of 2^22).
        let stale = output.appendingPathComponent(".shardkit-staging-4194305")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: stale.appendingPathComponent(".mnist-train.tfrecord-00000.tmp-x"))
        let options = ConvertOptions(
            input: FixturePaths.fixture("mnist"), output: output, jobs: 1, quiet: true, durable: false)
        _ = try DatasetConverter.convert(.mnist, options: options)
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path)
        #expect(!names.contains { $0.hasPrefix(".shardkit-staging") })
        #expect(names.contains("manifest.json"))
    }
}
