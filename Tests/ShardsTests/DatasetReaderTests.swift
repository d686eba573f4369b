import Examples
import Foundation
import Imaging
import RecordIO
import TestSupport
import Testing

@testable import Shards

/// `DatasetReader`: record N of a split, through the manifest and the index files, equals record N
/// read sequentially; and each way it can fail says so with the right kind.
@Suite struct DatasetReaderTests {
    /// Records of 300–2,300 bytes (an int64 `i` and raw bytes), enough for several gzip members.
    static func example(_ i: Int) -> Example {
        var random = TestBytes(seed: UInt64(i) &+ 7)
        let blob = random.bytes(300 + i * 97 % 2000).map { $0 & 0x0F }
        return Example(["i": .int64([Int64(i)]), "blob": .bytes([blob])])
    }

    /// A dataset of `train` and `test` records in `shards` shards each, written the way every
    /// command writes (staging, commit, manifest).
    static func dataset(compression: Compression, train: Int = 700, test: Int = 3, shards: Int = 3) throws -> URL {
        let directory = try FixturePaths.makeScratchDirectory("reader-test")
        let writer = try DatasetWriter(
            output: directory, name: "r", sharding: .shards(shards), compression: compression, durable: false)
        var schema = SchemaAccumulator()
        for (split, count) in [("train", train), ("test", test)] {
            try writer.open(split: split, count: count)
            for i in 0..<count {
                let example = Self.example(split == "train" ? i : 10_000 + i)
                schema.observe(example)
                try example.serialized().withUnsafeBytes { try writer.write(split: split, $0) }
            }
            try writer.finish(split: split)
        }
        try writer.commit(
            DatasetDescription(name: "r", description: "random access", spec: DatasetSpec(features: [("i", .int64), ("blob", .text)])),
            schema: schema)
        return directory
    }

    /// Every payload of `split`, read sequentially shard by shard.
    static func sequential(_ directory: URL, split: String) throws -> [[UInt8]] {
        let manifest = try Manifest.read(from: directory.path)
        return try manifest.splits[split]!.shards.flatMap { try readAll(directory.appendingPathComponent($0.file).path) }
    }

    @Test(arguments: Compression.allCases)
    func everyRecordEqualsTheSequentialOne(compression: Compression) throws {
        let directory = try Self.dataset(compression: compression)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reader = try DatasetReader(directory: directory.path)
        #expect(reader.splitNames == ["test", "train"])
        let all = try Self.sequential(directory, split: "train")
        #expect(try reader.count(of: "train") == 700 && all.count == 700)
        // First, middle and last, then all of them out of order.
        for i in [0, 350, 699] + (0..<700).reversed() {
            #expect(try reader.record(split: "train", index: i) == all[i], "record \(i)")
        }
        // With 3 records in 3 shards the test split has one per shard.
        #expect(try (0..<3).map { try reader.example(split: "test", index: $0).int64s("i") } == [[10_000], [10_001], [10_002]])
        let locator = try reader.locate(split: "train", index: 350)
        #expect(locator.shard == "r-train.tfrecord-00001-of-00003" && locator.indexInShard == 350 - 233)
        #expect((locator.location == nil) == (compression == .zlib))
        #expect((locator.location?.member != nil) == (compression == .gzip))
        if compression == .gzip {
            // Several members per shard: the record is found inside one of them.
            let members = Set(try (233..<466).map { try reader.locate(split: "train", index: $0).location!.member!.fileOffset })
            #expect(members.count > 1)
        }
        // verify checks every index line (for GZIP: against the members the files really have).
        let report = ShardVerifier().verify(try ShardFiles.resolve([directory.path]))
        #expect(report.isClean, "\(report.problemLines())")
        #expect(report.records == 703)
    }

    /// Empty shards (fewer records than shards) are passed over.
    @Test func emptyShardsArePassedOver() throws {
        let directory = try Self.dataset(compression: .none, train: 2, test: 1, shards: 4)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reader = try DatasetReader(directory: directory.path)
        let manifest = reader.manifest
        #expect(manifest.splits["train"]!.shards.map(\.records) == [0, 1, 0, 1])
        #expect(try reader.locate(split: "train", index: 0).shard == "r-train.tfrecord-00001-of-00004")
        #expect(try reader.locate(split: "train", index: 1).shard == "r-train.tfrecord-00003-of-00004")
        #expect(try reader.locate(split: "test", index: 0).shard == "r-test.tfrecord-00003-of-00004")
        #expect(try reader.example(split: "train", index: 1).int64s("i") == [1])
    }

    /// An index written by another tool, numbers unpadded: read line by line, same records.
    @Test func unevenIndexLinesAreReadToo() throws {
        let directory = try Self.dataset(compression: .none, train: 40, test: 1, shards: 1)
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("index/r-train.tfrecord-00000-of-00001.index")
        let padded = try String(contentsOf: index, encoding: .utf8).split(separator: "\n").map(String.init)
        let lines = padded.map { line in line.split(separator: " ").map { String(Int64($0)!) }.joined(separator: " ") }
        #expect(lines[1] != padded[1] && lines[1].utf8.count != lines[39].utf8.count)
        try (lines.joined(separator: "\n") + "\n").write(to: index, atomically: true, encoding: .utf8)
        let reader = try DatasetReader(directory: directory.path)
        let all = try Self.sequential(directory, split: "train")
        for i in [0, 1, 20, 39] { #expect(try reader.record(split: "train", index: i) == all[i]) }
    }

    static func datasetError(_ body: () throws -> Void) -> DatasetError? {
        do {
            try body()
            return nil
        } catch let error as DatasetError {
            return error
        } catch {
            Issue.record("not a DatasetError: \(error)")
            return nil
        }
    }

    @Test func unknownSplitsAndIndexesOutOfRangeAreUsageErrors() throws {
        let directory = try Self.dataset(compression: .gzip, train: 10, test: 2, shards: 2)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reader = try DatasetReader(directory: directory.path)
        let split = Self.datasetError { _ = try reader.record(split: "validation", index: 0) }
        #expect(split?.kind == .usage)
        #expect(split?.message == "no split \"validation\" in this dataset; its splits are test, train")
        for index in [10, -1, 1_000_000] {
            let range = Self.datasetError { _ = try reader.record(split: "train", index: index) }
            #expect(range?.kind == .usage)
            #expect(range?.message == "split train has 10 records (0 to 9); \(index) is out of range")
        }
    }

    @Test func aMissingDirectoryOrManifestIsNoInputAndABadManifestBadInput() throws {
        let missing = Self.datasetError { _ = try DatasetReader(directory: "/nonexistent/shardkit-dataset") }
        #expect(missing?.kind == .noInput && missing?.path == "/nonexistent/shardkit-dataset")
        let directory = try Self.dataset(compression: .none, train: 4, test: 1, shards: 1)
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("manifest.json")
        let text = try Data(contentsOf: manifest)
        try Data("{\"name\": 3}".utf8).write(to: manifest)
        #expect(Self.datasetError { _ = try DatasetReader(directory: directory.path) }?.kind == .badInput)
        try FileManager.default.removeItem(at: manifest)
        let noManifest = Self.datasetError { _ = try DatasetReader(directory: directory.path) }
        #expect(noManifest?.kind == .noInput && noManifest?.path == manifest.path)
        try text.write(to: manifest)
        // The index file listed in the manifest is gone.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("index/r-train.tfrecord-00000-of-00001.index"))
        let reader = try DatasetReader(directory: directory.path)
        let noIndex = Self.datasetError { _ = try reader.record(split: "train", index: 1) }
        #expect(noIndex?.kind == .noInput && noIndex?.path?.hasSuffix("index/r-train.tfrecord-00000-of-00001.index") == true)
    }

    @Test(arguments: [Compression.none, .gzip])
    func aDamagedRecordIsBadInputNamingTheShardAndOffset(compression: Compression) throws {
        let directory = try Self.dataset(compression: compression, train: 300, test: 1, shards: 1)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reader = try DatasetReader(directory: directory.path)
        let locator = try reader.locate(split: "train", index: 250)
        let location = try #require(locator.location)
        let shard = directory.appendingPathComponent(locator.shard)
        var bytes = try readBytes(shard.path)
        // A payload byte of the record (plain), or bytes of its member's compressed data (GZIP).
        let at = compression == .none ? Int(location.offset) + 30 : Int(location.member!.fileOffset) + 200
        for k in 0..<(compression == .none ? 1 : 16) { bytes[at + k] ^= 0x21 }
        try writeBytes(bytes, to: shard.path)
        let error = Self.datasetError { _ = try DatasetReader(directory: directory.path).record(split: "train", index: 250) }
        #expect(error?.kind == .badInput, "\(String(describing: error))")
        #expect(error?.path == shard.path && error?.recordIndex == 250 && error?.byteOffset == location.offset)
        // Records in other members are still read.
        if compression == .gzip {
            let all = (0..<300).map { Self.example($0).serialized() }
            let elsewhere = try (0..<300).first { try reader.locate(split: "train", index: $0).location!.member != location.member }
            let other = try #require(elsewhere)
            #expect(try reader.record(split: "train", index: other) == all[other])
        }
    }

    @Test func imagesComeOutAsPNG() throws {
        let directory = try FixturePaths.makeScratchDirectory("reader-image")
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try DatasetWriter(output: directory, name: "img", sharding: .shards(1), compression: .none, durable: false)
        let pixels = (0..<(6 * 4 * 3)).map { UInt8($0 * 3) }
        let raw = Image(height: 6, width: 4, channels: 3, pixels: pixels)
        let png = try PNGCodec.encode(Image(height: 2, width: 3, channels: 1, pixels: [0, 50, 100, 150, 200, 250]))
        try writer.open(split: "train", count: 3)
        var schema = SchemaAccumulator()
        for example in [Example(["image": .bytes([pixels])]), Example(["image": .bytes([png])]), Example(["label": .int64([1])])] {
            schema.observe(example)
            try example.serialized().withUnsafeBytes { try writer.write(split: "train", $0) }
        }
        try writer.finish(split: "train")
        try writer.commit(
            DatasetDescription(name: "img", description: "images", spec: DatasetSpec(features: [("image", .image(shape: [6, 4, 3], encoding: .raw)), ("label", .int64)])),
            schema: schema)
        // The manifest's image spec (raw, 6x4x3) says how to read the bytes: no sniffing.
        var reader = try DatasetReader(directory: directory.path)
        #expect(reader.manifest.image == ImageSpec(key: "image", height: 6, width: 4, channels: 3, encoding: .raw))
        let fromRaw = try reader.imagePNG(of: reader.example(split: "train", index: 0), split: "train")
        #expect(try PNGCodec.decode(fromRaw.png) == raw)
        // PNG bytes in a dataset whose spec says raw are damage, not a PNG to pass through.
        let mismatch = Self.datasetError { _ = try reader.imagePNG(of: reader.example(split: "train", index: 1), split: "train") }
        #expect(mismatch?.kind == .badInput)
        #expect(mismatch?.message.contains("not a 6x4x3 raw image: expected 72 bytes") == true, "\(String(describing: mismatch))")
        let none = Self.datasetError { _ = try reader.imagePNG(of: reader.example(split: "train", index: 2), split: "train") }
        #expect(none?.kind == .usage)
        // A spec saying PNG of that size: the stored bytes come back as they are, and raw bytes fail.
        var manifest = try Manifest.read(from: directory.path)
        manifest.image = ImageSpec(key: "image", height: 2, width: 3, channels: 1, encoding: .png)
        try manifest.write(to: directory.path)
        reader = try DatasetReader(directory: directory.path)
        #expect(try reader.imagePNG(of: reader.example(split: "train", index: 1), split: "train").png == png)
        let notPNG = Self.datasetError { _ = try reader.imagePNG(of: reader.example(split: "train", index: 0), split: "train") }
        #expect(notPNG?.kind == .badInput)
        // A PNG of another size than the spec's is refused too.
        manifest.image = ImageSpec(key: "image", height: 3, width: 2, channels: 1, encoding: .png)
        try manifest.write(to: directory.path)
        reader = try DatasetReader(directory: directory.path)
        let resized = Self.datasetError { _ = try reader.imagePNG(of: reader.example(split: "train", index: 1), split: "train") }
        #expect(resized?.message.contains("the image is 2x3; the dataset's images are 3x2x1") == true, "\(String(describing: resized))")
    }
}
