import Examples
import Foundation
import RecordIO
import TestSupport
import Testing

@testable import Shards

/// `verify` finds every kind of damage: each flipped bit of a shard and of an index file, a
/// missing manifest, files the manifest does not list, leftovers of interrupted runs.
@Suite struct ShardVerifierTests {
    /// A small dataset written the way every command writes: 2 shards of tiny records.
    static func tinyDataset(compression: Compression = .none) throws -> URL {
        let directory = try FixturePaths.makeScratchDirectory("verify-test")
        let writer = try DatasetWriter(output: directory, name: "t", sharding: .shards(2), compression: compression, durable: false)
        try writer.open(split: "train", count: 5)
        var schema = SchemaAccumulator()
        for i in 0..<5 {
            let example = Example(["v": .int64([Int64(i)])])
            schema.observe(example)
            try example.serialized().withUnsafeBytes { bytes in try writer.write(split: "train", bytes) }
        }
        try writer.finish(split: "train")
        try writer.commit(DatasetDescription(name: "t", description: "tiny", spec: DatasetSpec(features: [("v", .int64)])), schema: schema)
        return directory
    }

    static func verify(_ directory: URL, requireManifest: Bool = true) throws -> ShardVerifier.Report {
        ShardVerifier(requireManifest: requireManifest).verify(try ShardFiles.resolve([directory.path]))
    }

    @Test func aFreshDatasetIsClean() throws {
        let directory = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try Self.verify(directory)
        #expect(report.isClean, "\(report.problemLines())")
        #expect(report.files == 2 && report.records == 5)
    }

    /// Flips every bit of every byte of `url`, one at a time, verifying `directory` after each
    /// flip; `reported` says whether the report caught it. Returns the number of flips.
    static func flipEveryBit(
        of url: URL, in directory: URL, reported: (ShardVerifier.Report) -> Bool
    ) throws -> Int {
        let original = try Data(contentsOf: url)
        defer { try? original.write(to: url) }
        for offset in 0..<original.count {
            for bit in 0..<8 {
                var damaged = original
                damaged[offset] ^= UInt8(1 << bit)
                try damaged.write(to: url)
                let report = try verify(directory)
                #expect(reported(report), "\(url.lastPathComponent) byte \(offset) bit \(bit): \(report.problemLines())")
            }
        }
        return original.count * 8
    }

    /// Every bit of every byte of each shard and each index file: each flip is reported, naming
    /// the flipped file and a byte offset in it.
    @Test func everyFlippedBitOfShardsAndIndexesIsReported() throws {
        let directory = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: directory) }
        let names =
            try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tfrecord-") }
            + FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("index").path).map { "index/\($0)" }
        #expect(names.count == 4)
        var flips = 0
        for name in names.sorted() {
            let url = directory.appendingPathComponent(name)
            flips += try Self.flipEveryBit(of: url, in: directory) { report in
                report.problems.contains { $0.path == url.path && $0.byteOffset != nil }
            }
        }
        #expect(flips > 500)
        #expect(try Self.verify(directory).isClean)
    }

    /// Every bit of every byte of manifest.json: each flip is reported as a manifest problem.
    @Test func everyFlippedBitOfTheManifestIsReported() throws {
        let directory = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("manifest.json")
        _ = try Self.flipEveryBit(of: url, in: directory) { report in report.problems.contains { $0.path == url.path } }
        #expect(try Self.verify(directory).isClean)
    }

    @Test func datasetInfoThatDisagreesWithTheManifestIsReported() throws {
        let directory = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("dataset_info.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        let lengths = try #require(text.range(of: "\"3\""))
        try text.replacingCharacters(in: lengths, with: "\"4\"").write(to: url, atomically: true, encoding: .utf8)
        let lines = try Self.verify(directory).problemLines()
        #expect(lines == ["\(url.path): split train: shard lengths differ from the manifest's"])
    }

    @Test func aDirectoryWithoutItsManifestIsReportedUnlessAsked() throws {
        let directory = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("manifest.json"))
        let report = try Self.verify(directory)
        #expect(report.problemLines().contains { $0.contains("no manifest.json: not a complete dataset") })
        #expect(try Self.verify(directory, requireManifest: false).isClean)
    }

    @Test func filesTheManifestDoesNotListAndStagingLeftoversAreReported() throws {
        let directory = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fm = FileManager.default
        let shard = directory.appendingPathComponent("t-train.tfrecord-00000-of-00002")
        let stray = directory.appendingPathComponent("other-train.tfrecord-00000-of-00001")
        try fm.copyItem(at: shard, to: stray)
        let strayIndex = directory.appendingPathComponent("index/other-train.tfrecord-00000-of-00001.index")
        try fm.copyItem(at: directory.appendingPathComponent("index/t-train.tfrecord-00000-of-00002.index"), to: strayIndex)
        // Where earlier versions put index files, beside the shards.
        let oldPlace = directory.appendingPathComponent("t-train.tfrecord-00000-of-00002.index")
        try fm.copyItem(at: strayIndex, to: oldPlace)
        try fm.createDirectory(
            at: directory.appendingPathComponent(".shardkit-staging-999999"), withIntermediateDirectories: true)
        let lines = try Self.verify(directory).problemLines()
        #expect(lines.contains("\(stray.path): not listed in manifest.json (a shard of another run?)"))
        #expect(lines.contains("\(strayIndex.path): not listed in manifest.json (a shard of another run?)"))
        #expect(lines.contains("\(oldPlace.path): not listed in manifest.json (a shard of another run?)"))
        #expect(lines.contains { $0.contains(".shardkit-staging-999999: staging folder left by an interrupted run") })
    }

    @Test func anIndexLineThatDisagreesWithTheFramingIsNamedWithItsRecordAndOffset() throws {
        let directory = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("index/t-train.tfrecord-00001-of-00002.index")
        var lines = try String(contentsOf: index, encoding: .utf8).split(separator: "\n").map(String.init)
        let firstLineBytes = lines[0].utf8.count + 1
        lines[1] = "0 17"
        try (lines.joined(separator: "\n") + "\n").write(to: index, atomically: true, encoding: .utf8)
        let problems = try Self.verify(directory).problems.filter { $0.path == index.path }
        #expect(problems.count == 1)
        #expect(problems.first?.recordIndex == 1)
        #expect(problems.first?.byteOffset == Int64(firstLineBytes))
    }
}

/// `verify` on GZIP datasets: each index line's member and offset in the member are checked
/// against the members the file actually has.
@Suite struct GzipIndexVerifierTests {
    @Test func aFreshGzipDatasetIsClean() throws {
        let directory = try ShardVerifierTests.tinyDataset(compression: .gzip)
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try ShardVerifierTests.verify(directory)
        #expect(report.isClean, "\(report.problemLines())")
        let manifest = try Manifest.read(from: directory.path)
        #expect(manifest.splits["train"]!.shards.allSatisfy { $0.index != nil })
    }

    @Test func everyFlippedBitOfAGzipIndexIsReported() throws {
        let directory = try ShardVerifierTests.tinyDataset(compression: .gzip)
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("index/t-train.tfrecord-00001-of-00002.index")
        let flips = try ShardVerifierTests.flipEveryBit(of: index, in: directory) { report in
            report.problems.contains { $0.path == index.path && $0.byteOffset != nil }
        }
        #expect(flips == 3 * 48 * 8)
    }

    @Test func aWrongMemberOffsetIsNamed() throws {
        let directory = try ShardVerifierTests.tinyDataset(compression: .gzip)
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("index/t-train.tfrecord-00001-of-00002.index")
        var lines = try String(contentsOf: index, encoding: .utf8).split(separator: "\n").map(String.init)
        var fields = lines[2].split(separator: " ").map(String.init)
        fields[2] = "000000000007"
        lines[2] = fields.joined(separator: " ")
        try (lines.joined(separator: "\n") + "\n").write(to: index, atomically: true, encoding: .utf8)
        let problems = try ShardVerifierTests.verify(directory).problems.filter { $0.path == index.path }
        #expect(problems.count == 1)
        #expect(problems.first?.recordIndex == 2 && problems.first?.byteOffset == 96)
        #expect(problems.first?.message.contains(" 7 ") == true, "\(problems)")
    }
}
