import Examples
import Foundation
import Pipeline
import Shards
import RecordIO
import TestSupport
import Testing

@Suite struct ShardInspectionTests {
    /// Writes `records` generated records into `shards` shards in a new scratch directory.
    func generated(records: Int, shards: Int, compression: Compression = .none) throws -> URL {
        let directory = try FixturePaths.makeScratchDirectory()
        _ = try SyntheticRecords.write(
            to: directory, name: "gen", records: records, shards: shards, compression: compression, quiet: true)
        return directory
    }

    func shardPath(_ directory: URL, _ index: Int, of count: Int) -> String {
        directory.appendingPathComponent(
            ShardedWriter.shardFileName(name: "gen", split: "train", index: index, count: count)).path
    }

    @Test func generatedRecordsFollowTheFormula() {
        let example = SyntheticRecords.example(index: 7)
        #expect(example.int64s("length") == [3])
        #expect(example.int64s("digits") == [7, 0, 3, 10, 10])
        #expect(example.floats("weight") == [1.75])
        #expect(example.bytes("id") == [Array("record-000007".utf8)])
        let image = example.bytes("image")![0]
        #expect(image.count == 28 * 140)
        #expect(image[0] == 7 && image[1] == 14 && image[100] == UInt8((7 + 700) % 251))
    }

    @Test func generatingTwiceGivesIdenticalBytes() throws {
        let a = try generated(records: 30, shards: 2, compression: .gzip)
        let b = try generated(records: 30, shards: 2, compression: .gzip)
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        for name in ["gen-train.tfrecord-00000-of-00002", "gen-train.tfrecord-00001-of-00002", "manifest.json"] {
            let left = try Data(contentsOf: a.appendingPathComponent(name))
            let right = try Data(contentsOf: b.appendingPathComponent(name))
            #expect(left == right, "\(name) differs between two identical runs")
        }
    }

    @Test func inspectorCountsSchemaHistogramAndDump() throws {
        let directory = try generated(records: 23, shards: 3)
        defer { try? FileManager.default.removeItem(at: directory) }
        let found = try ShardFiles.resolve([directory.path])
        #expect(found.records.map(\.lastPathComponent) == (0..<3).map {
            ShardedWriter.shardFileName(name: "gen", split: "train", index: $0, count: 3)
        })
        #expect(found.manifests.count == 1)
        var dumped: [String] = []
        let report = try ShardInspector(dumpCount: 2, histogramKey: "length").inspect(found.records) { dumped.append($0) }
        #expect(report.files.map(\.records) == [7, 8, 8])
        #expect(report.schema.map(\.key) == ["digits", "id", "image", "length", "weight"])
        #expect(report.schema.first { $0.key == "digits" }.map { ($0.kind, $0.minCount, $0.maxCount) }! == (.int64, 5, 5))
        // Lengths 1…5 cycle: 23 records give 5, 5, 5, 4, 4.
        #expect(report.histogram == [1: 5, 2: 5, 3: 5, 4: 4, 5: 4])
        #expect(dumped.count == 2)
        #expect(dumped[0].contains("\"length\": {\"int64\": [1]}"))
        #expect(report.rendered().contains("total: 23 records in 3 files, "))
    }

    /// Writes one shard per split of `records[split]` (label, optional character) into `directory`.
    func writeSplits(_ records: [(split: String, labels: [(Int64, String?)])], to directory: URL) throws {
        for (split, labels) in records {
            let writer = try ShardedWriter(
                directory: directory.path, name: "ds", split: split, sharding: .shards(1), records: labels.count,
                durable: false)
            for (label, character) in labels {
                var features: [String: Feature] = ["label": .int64([label]), "image": .bytes([[0x89, 0x50]])]
                if let character { features["character"] = .bytes([Array(character.utf8)]) }
                try writer.write(Example(features).serialized())
            }
            _ = try writer.finish()
        }
    }

    @Test func trainIsReadFirstAndEachSplitHasItsHistogramWithClassNames() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeSplits(
            [("test", [(1, nil)]), ("extra", [(0, nil)]), ("train", [(0, nil), (2, nil), (2, nil)]), ("validation", [(1, nil)])],
            to: directory)
        try "airplane\nautomobile\nbird\n".write(
            to: directory.appendingPathComponent("label.labels.txt"), atomically: true, encoding: .utf8)
        let files = try ShardFiles.resolve([directory.path]).records
        var dumped: [String] = []
        let report = try ShardInspector(dumpCount: 2, histogramKey: "label").inspect(files) { dumped.append($0) }
        #expect(report.files.map(\.split) == ["train", "validation", "test", "extra"])
        #expect(dumped.count == 2 && dumped.allSatisfy { $0.contains("\"label\": {\"int64\": [") })
        #expect(dumped[0].contains("[0]") && dumped[1].contains("[2]"))  // train's first two records
        #expect(report.histograms == [
            .init(split: "train", counts: [0: 1, 2: 2]), .init(split: "validation", counts: [1: 1]),
            .init(split: "test", counts: [1: 1]), .init(split: "extra", counts: [0: 1]),
        ])
        #expect(report.histogram == [0: 2, 1: 2, 2: 2])
        #expect(report.valueNames == [0: "airplane", 1: "automobile", 2: "bird"])
        let text = report.rendered()
        let expected = """
            histogram of label in train (3 values):
              value  name      count
                  0  airplane      1  ####################
                  2  bird          2  ########################################
            histogram of label in validation (1 value):
            """
        #expect(text.contains(expected), "\(text)")
        let lines = text.split(separator: "\n")
        // Columns as wide as their longest entry (ds-validation.tfrecord-00000-of-00001), numbers right-aligned.
        #expect(lines[0] == "file                                   split       records       size  compression")
        #expect(lines[1].hasPrefix("ds-train.tfrecord-00000-of-00001       train             3  ") && lines[1].hasSuffix(" bytes  none"))
    }

    @Test func hwdbCharactersNameTheirLabelsAndLineUp() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeSplits([("train", [(0, "。"), (4, "国"), (4, "国"), (12, "A")])], to: directory)
        let report = try ShardInspector(histogramKey: "label").inspect(try ShardFiles.resolve([directory.path]).records) { _ in }
        #expect(report.valueNames == [0: "。", 4: "国", 12: "A"])
        // CJK characters take two terminal columns: the counts line up under "count".
        #expect(report.rendered().hasSuffix("""
            histogram of label in train (4 values):
              value  name  count
                  0  。        1  ####################
                  4  国        2  ########################################
                 12  A         1  ####################
            """))
    }

    @Test func inspectorNamesTheRecordThatIsNotAnExample() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bad.tfrecord").path
        var writer = try RecordWriter(path: path)
        try writer.write(SyntheticRecords.example(index: 0).serialized())
        try writer.write([0xFF, 0xFF, 0xFF])  // not a protobuf message
        _ = try writer.close()
        #expect {
            _ = try ShardInspector().inspect([URL(fileURLWithPath: path)]) { _ in }
        } throws: { error in
            guard let error = error as? DatasetError else { return false }
            return error.kind == .badInput && error.recordIndex == 1 && error.byteOffset == 4041
                && error.path == path
        }
    }

    @Test func verifierReportsEachBadRecordAndManifestMismatch() throws {
        let directory = try generated(records: 20, shards: 2)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = shardPath(directory, 1, of: 2)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let recordSize = bytes.count / 10
        bytes[recordSize * 3 + 50] ^= 0x01  // payload of record 3
        bytes[recordSize * 6 + 200] ^= 0x80  // payload of record 6
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let found = try ShardFiles.resolve([directory.path])
        let strict = ShardVerifier().verify(found)
        #expect(!strict.isClean)
        let first = try #require(strict.problems.first)
        #expect(first.path == path && first.recordIndex == 3 && first.byteOffset == Int64(recordSize * 3))
        #expect(first.message.contains("payload checksum mismatch"))
        #expect(strict.problems.contains { $0.message.contains("SHA-256") })

        let lenient = ShardVerifier(skipCorrupt: true).verify(found)
        #expect(lenient.skipped == 2)
        #expect(lenient.records == 18)
        #expect(lenient.problems.filter { $0.message.hasSuffix("(skipped)") }.map(\.recordIndex) == [3, 6])
        #expect(lenient.summary().contains("skipped 2 corrupt records"))
    }

    @Test func verifierFindsAMissingShardAndPassesACleanSet() throws {
        let directory = try generated(records: 9, shards: 3)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(ShardVerifier().verify(try ShardFiles.resolve([directory.path])).isClean)
        try FileManager.default.removeItem(atPath: shardPath(directory, 2, of: 3))
        let report = ShardVerifier().verify(try ShardFiles.resolve([directory.path]))
        #expect(report.problems.map(\.message) == ["listed in manifest (split train) but missing"])
    }

    @Test func missingPathIsANoInputError() {
        #expect(throws: DatasetError.self) { try ShardFiles.resolve(["/nonexistent/shards"]) }
    }
}
