import Dispatch
import Examples
@testable import Formats
import Foundation
import Imaging
@testable import Pipeline
import Shards
import ShardKitSupport
import TestSupport
import Testing

/// The spine's source and recipe (`DatasetSource`, `SampleKey`, each format's `SampleRecipe`
/// step): keys are the augmentation keys every converted dataset has used, and each step is a
/// pure function of its sample and key.
@Suite struct DatasetSourceTests {
    // MARK: Keys

    /// The text augmentation keys were made from before sources carried them: the last path
    /// component of the record's path, its index and its copy (the rule `RecordEncoder` had).
    static func formerKey(path: String, index: Int, copy: Int) -> RecordKey {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return RecordKey("\(name)/\(index)/\(copy)")
    }

    static func options(_ input: String, configure: (inout ConvertOptions) -> Void = { _ in }) -> ConvertOptions {
        var options = ConvertOptions(
            input: FixturePaths.fixture(input), output: URL(fileURLWithPath: "/nonexistent/out"), sharding: .shards(1),
            jobs: 1, quiet: true, durable: false)
        configure(&options)
        return options
    }

    /// The first pass's records of a format's real plan, read from `skip` on.
    static func records(_ format: DatasetFormat, _ options: ConvertOptions, skip: Int = 0) throws -> [PendingRecord] {
        let plan = try format.recipe.plan(options, format: format, encoding: .png)
        let pull = try plan.passes[0].open(skip)
        var records: [PendingRecord] = []
        while let record = try pull() { records.append(record) }
        return records
    }

    /// Per format: the fixture and the key text of the first pass's first record (its file's
    /// name and index 0, copy 1).
    static let keyCases: [(format: DatasetFormat, input: String, first: String)] = [
        (.mnist, "mnist", "train-images-idx3-ubyte/0/1"),
        (.cifar10, "cifar10", "data_batch_1.bin/0/1"),
        (.hwdb, "hwdb", "1001-c.gnt/0/1"),
        (.svhnCropped, "svhn-cropped", "train_32x32.mat/0/1"),
        (.svhn, "svhn", "1.png/0/1"),
        (.folder, "folder", "00-l.png/0/1"),
    ]

    @Test("keys from the source are the former key texts", arguments: keyCases.indices)
    func keysMatchTheFormerRule(_ i: Int) throws {
        let (format, input, first) = Self.keyCases[i]
        let records = try Self.records(format, Self.options(input) { $0.folder.size = 16 })
        try #require(records.count >= 2)
        #expect(records[0].key.recordKey(copy: 1) == RecordKey(first))
        for record in records {
            for copy in 0..<3 {
                #expect(
                    record.key.recordKey(copy: copy) == Self.formerKey(path: record.path, index: record.index, copy: copy),
                    "\(record.path) #\(record.index) copy \(copy)")
            }
        }
        // Different records and copies have different streams.
        let keys = records.flatMap { record in (0..<2).map { record.key.recordKey(copy: $0) } }
        #expect(Set(keys).count == keys.count)
    }

    @Test func skippingKeepsIndexesKeysAndCIFARIds() throws {
        let all = try Self.records(.cifar10, Self.options("cifar10"))
        let later = try Self.records(.cifar10, Self.options("cifar10"), skip: 3)
        try #require(all.count > 3)
        #expect(later.count == all.count - 3)
        #expect(later.map(\.index) == all.dropFirst(3).map(\.index))
        #expect(later.map(\.key) == all.dropFirst(3).map(\.key))
        #expect(later.first?.features["id"] == .bytes([Array("train_00003".utf8)]))
        #expect(later.map { $0.features["id"] } == all.dropFirst(3).map { $0.features["id"] })
    }

    @Test func sourceCountsPositionsAcrossFilesAndSkips() throws {
        let files = ["1001-c.gnt", "1002-c.gnt"].map { FixturePaths.fixture("hwdb/train/\($0)") }
        let counts = try files.map { url in try GNTReader(input: InputFile(disk: url)).skip(Int.max) }
        let source = DatasetSource(files, skip: 2, open: { url throws(FormatError) in try GNTReader(input: InputFile(disk: url)) })
        var seen: [(String, Int, Int, Int)] = []
        while let sourced = try source.next() {
            // The reader's own index agrees with the source's count.
            #expect(sourced.index == sourced.sample.index)
            seen.append((sourced.file.stem, sourced.index, sourced.ordinal, sourced.key.index))
        }
        let expected =
            (2..<counts[0]).map { ("1001-c", $0, $0, $0) } + (0..<counts[1]).map { ("1002-c", $0, counts[0] + $0, $0) }
        #expect(seen.map(\.0) == expected.map(\.0))
        #expect(seen.map(\.1) == expected.map(\.1))
        #expect(seen.map(\.2) == expected.map(\.2))
        #expect(seen.map(\.3) == expected.map(\.3))
    }

    // MARK: Purity of the per-sample steps

    /// Encodes with augmentation, so that the key decides the pixels.
    static let encoder = RecordEncoder(
        encoding: .png, augment: try! AugmentSpec(parsing: "crop=12,resize=16,flip=lr,brightness=0.2"), seed: 5)

    /// The Example bytes of `sourced` through `recipe` and the encoder, as copy `copy`.
    static func bytes<Recipe: SampleRecipe>(
        _ recipe: Recipe, _ sourced: SourcedSample<Recipe.Sample>, copy: Int = 0
    ) throws -> [UInt8] {
        var record = try recipe.record(sourced)
        record.copy = copy
        record.augmented = true
        var buffer: [UInt8] = []
        var schema = SchemaAccumulator()
        try encoder.encode(record, augmenter: encoder.makeAugmenter(), into: &buffer, schema: &schema)
        return buffer
    }

    /// The first `limit` kept samples of `source`.
    static func samples<Reader: FormatReader, Recipe: SampleRecipe>(
        _ source: DatasetSource<Reader>, _ recipe: Recipe, limit: Int = 4
    ) throws -> [SourcedSample<Reader.Sample>] where Recipe.Sample == Reader.Sample {
        var samples: [SourcedSample<Reader.Sample>] = []
        while samples.count < limit, let sourced = try source.next() {
            if recipe.skipReason(sourced) == nil { samples.append(sourced) }
        }
        return samples
    }

    /// Results written by concurrent workers, one slot each. `@unchecked Sendable` is safe:
    /// every slot is written by one worker and read after `concurrentPerform` returns.
    final class Slots: @unchecked Sendable {
        var values: [Result<[UInt8], any Error>?]
        init(_ count: Int) { values = Array(repeating: nil, count: count) }
    }

    /// Two calls on this thread and two on concurrent threads give the same bytes for each
    /// sample; another copy (another key) gives other bytes, so the key is what decides them.
    static func checkPure<Recipe: SampleRecipe>(_ recipe: Recipe, _ samples: [SourcedSample<Recipe.Sample>]) throws
    where Recipe.Sample: Sendable {
        try #require(samples.count >= 2)
        for sourced in samples {
            let first = try bytes(recipe, sourced)
            #expect(try bytes(recipe, sourced) == first)
            let slots = Slots(2)
            DispatchQueue.concurrentPerform(iterations: 2) { worker in
                slots.values[worker] = Result { try bytes(recipe, sourced) }
            }
            for slot in slots.values { #expect(try slot?.get() == first) }
            #expect(try bytes(recipe, sourced, copy: 1) != first, "\(sourced.key): copy 1 should be augmented differently")
        }
    }

    @Test func mnistStepIsPure() throws {
        let images = FixturePaths.fixture("mnist/train-images-idx3-ubyte")
        let labels = FixturePaths.fixture("mnist/train-labels-idx1-ubyte")
        let step = MNISTConversion.Step(transpose: false, variant: .mnist, classes: 10, offset: 0, labelsPath: labels.path)
        let source = DatasetSource([images], open: { _ throws(FormatError) in try MNISTReader(images: images, labels: labels) })
        try Self.checkPure(step, Self.samples(source, step))
    }

    @Test func cifarStepIsPure() throws {
        let files = ["data_batch_1.bin", "test_batch.bin"].map { InputFile(disk: FixturePaths.fixture("cifar10/\($0)")) }
        let step = CIFARConversion.Step(split: "train")
        let source = DatasetSource(files, open: { file throws(FormatError) in try CIFARReader(input: file, variant: .cifar10) })
        try Self.checkPure(step, Self.samples(source, step))
    }

    @Test func hwdbStepIsPure() throws {
        let files = ["1001-c.gnt", "1002-c.gnt"].map { InputFile(disk: FixturePaths.fixture("hwdb/train/\($0)")) }
        let step = HWDBConversion.Step(
            dictionary: try CharacterDictionary.build(scanning: files), dictionarySource: "train", side: 24)
        let source = DatasetSource(files, open: { file throws(FormatError) in try GNTReader(input: file) })
        try Self.checkPure(step, Self.samples(source, step))
    }

    @Test func svhnCroppedStepIsPure() throws {
        let step = SVHNCroppedConversion.Step()
        let source = DatasetSource(
            [FixturePaths.fixture("svhn-cropped/train_32x32.mat")],
            open: { url throws(FormatError) in try SVHNCroppedReader(file: url) })
        try Self.checkPure(step, Self.samples(source, step))
    }

    @Test func svhnStepIsPure() throws {
        let (sources, _) = try SVHNConversion.resolveInput(Self.options("svhn"))
        let train = try #require(sources.first { $0.name == "train" })
        let step = SVHNConversion.Step(
            options: SVHNReader.Options(maxDigits: SVHNConversion.maxDigits, missingImages: .fail),
            validationFraction: 0.5, seed: 3)
        let source = DatasetSource(
            [train.digitStruct], open: { _ throws(FormatError) in try SVHNConversion.EntryReader(source: train, maxDigits: 5) },
            keyPath: { entry, _ in entry.pngPath })
        try Self.checkPure(step, Self.samples(source, step))
    }

    @Test func folderStepIsPure() throws {
        let folder = try ImageFolder(directory: FixturePaths.fixture("folder"))
        let train = try #require(folder.splits.first { $0.name == "train" })
        let step = FolderConversion.Step(routed: true, seed: 1, fraction: 0.5, channels: 3, size: 16)
        let source = DatasetSource(
            [folder.directory], open: { _ throws(FormatError) in ImageFolderReader(folder: folder, files: train.files) },
            keyPath: { entry, _ in entry.path })
        try Self.checkPure(step, Self.samples(source, step))
    }

    @Test func svhnStepLeavesOutAndRefusesAsBefore() throws {
        let entry = DigitStructEntry(index: 7, name: "8.png", boxes: [])
        let sourced = SourcedSample(
            sample: SVHNConversion.Entry(entry: entry, sourceName: "train", pngPath: "/in/train/8.png", png: nil),
            key: SampleKey(path: "/in/train/8.png", index: 7), file: SourceFile(URL(fileURLWithPath: "/in/train/digitStruct.mat")),
            index: 7, ordinal: 7)
        let skipping = SVHNConversion.Step(
            options: SVHNReader.Options(maxDigits: 5, missingImages: .skip), validationFraction: 0, seed: 0)
        #expect(skipping.skipReason(sourced) == "image file missing (--skip-missing)")
        let failing = SVHNConversion.Step(
            options: SVHNReader.Options(maxDigits: 5, missingImages: .fail), validationFraction: 0, seed: 0)
        #expect(failing.skipReason(sourced) == nil)
        let error = try #require(throws: DatasetError.self) { try failing.record(sourced) }
        #expect(error.kind == .noInput)
        #expect(error.path == "/in/train/8.png")
        #expect(error.recordIndex == 7)
    }
}
