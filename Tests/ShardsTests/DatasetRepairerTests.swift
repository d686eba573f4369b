import Examples
import Foundation
import Pipeline
import RecordIO
import TestSupport
import Testing

@testable import Shards

/// `DatasetRepairer`: a clean copy without the records that fail their checksums, a report that
/// names each dropped record, a DST that verifies, and SRC never touched.
@Suite struct DatasetRepairerTests {
    /// A scratch folder with `SRC` (made by `shardkit generate`'s writer) and room for `DST`.
    final class Place {
        let root: URL
        var source: URL { root.appendingPathComponent("src") }
        var output: URL { root.appendingPathComponent("dst") }

        init(records: Int = 40, shards: Int = 4, compression: Compression = .none) throws {
            root = try FixturePaths.makeScratchDirectory("repair-test")
            if records > 0 {
                _ = try SyntheticRecords.write(
                    to: source, name: "generated", records: records, shards: shards, compression: compression,
                    quiet: true)
            }
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func shard(_ k: Int, of n: Int = 4, split: String = "train", in directory: URL? = nil) -> URL {
            (directory ?? source).appendingPathComponent(
                ShardedWriter.shardFileName(name: "generated", split: split, index: k, count: n))
        }

        func locations(_ shard: URL) throws -> [(offset: Int, length: Int)] { try indexLocations(ofShard: shard) }

        func edit(_ shard: URL, _ change: (inout [UInt8]) throws -> Void) throws {
            var bytes = try readBytes(shard.path)
            try change(&bytes)
            try writeBytes(bytes, to: shard.path)
        }

        func repair(salvage: RecordSalvager.Options = .init()) throws -> DatasetRepairer.Report {
            try DatasetRepairer.repair(
                DatasetRepairer.Options(source: source, output: output, durable: false, salvage: salvage))
        }
    }

    /// Every payload of a dataset folder, split by split (sorted) in its manifest's shard order.
    static func records(in directory: URL) throws -> [String: [[UInt8]]] {
        let manifest = try Manifest.read(from: directory.path)
        var out: [String: [[UInt8]]] = [:]
        for (split, entry) in manifest.splits {
            out[split] = try entry.shards.flatMap {
                try readAll(directory.appendingPathComponent($0.file).path, compression: manifest.compression)
            }
        }
        return out
    }

    static func fingerprint(_ directory: URL) throws -> [String: String] { try fileHashes(below: directory) }

    static func verify(_ directory: URL) throws -> ShardVerifier.Report {
        ShardVerifier().verify(try ShardFiles.resolve([directory.path]))
    }

    /// Repairs `place` and checks what holds whatever the damage: DST verifies, SRC is unchanged,
    /// DST's records are SRC's original records without `dropped` (indices in the split), in order.
    static func repairAndCheck(_ place: Place, original: [[UInt8]], dropped: Set<Int>) throws -> DatasetRepairer.Report
    {
        let before = try fingerprint(place.source)
        let report = try place.repair()
        #expect(try fingerprint(place.source) == before, "the source changed")
        let verified = try verify(place.output)
        #expect(verified.isClean, "\(verified.problemLines())")
        let kept = original.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
        #expect(try records(in: place.output)["train"] == kept)
        #expect(report.recordsKept == kept.count)
        #expect(report.recordsDropped == dropped.count)
        #expect(report.isClean == dropped.isEmpty)
        let written = try JSONDecoder().decode(
            DatasetRepairer.Report.self,
            from: Data(readBytes(place.output.appendingPathComponent(DatasetRepairer.reportFileName).path)))
        #expect(written == report)
        return report
    }

    @Test func aCleanDatasetIsCopiedByteForByte() throws {
        let place = try Place(records: 50, shards: 3)
        let original = try Self.records(in: place.source)["train"]!
        let report = try Self.repairAndCheck(place, original: original, dropped: [])
        #expect(report.dropped.isEmpty && report.notes.isEmpty)
        #expect(
            report.splits == [
                .init(name: "train", sourceShards: 3, shards: 3, sourceRecords: 50, records: 50, dropped: 0)
            ])
        // Shards, index files, dataset_info.json, features.json: all byte-identical; the manifest
        // differs in its metadata only, and the report is new.
        var (source, output) = (try fileHashes(below: place.source), try fileHashes(below: place.output))
        #expect(
            source.removeValue(forKey: Manifest.fileName) != nil && output.removeValue(forKey: Manifest.fileName) != nil
        )
        #expect(output.removeValue(forKey: DatasetRepairer.reportFileName) != nil)
        #expect(source.count == 8 && source == output)
        let (src, dst) = (try Manifest.read(from: place.source.path), try Manifest.read(from: place.output.path))
        #expect(dst.splits == src.splits && dst.features == src.features && dst.name == src.name)
        #expect(dst.metadata["repaired_from"] == place.source.path)
        #expect(dst.metadata["generator"] == src.metadata["generator"])
    }

    @Test(arguments: [Compression.gzip, .zlib])
    func aCleanCompressedDatasetIsCopiedByteForByte(compression: Compression) throws {
        let place = try Place(records: 30, shards: 2, compression: compression)
        _ = try place.repair()
        for k in 0..<2 {
            #expect(
                try readBytes(place.shard(k, of: 2).path) == readBytes(place.shard(k, of: 2, in: place.output).path))
        }
        #expect(try Manifest.read(from: place.output.path).compression == compression)
    }

    /// A flipped payload byte: that record goes, the report names its file, index and offset,
    /// and the count rule spreads the 39 survivors over the same 4 shards.
    @Test func aFlippedPayloadByteDropsThatRecord() throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        let shard = place.shard(1)
        let victim = try place.locations(shard)[3]
        try place.edit(shard) { $0[victim.offset + 12 + 200] ^= 0x10 }
        let report = try Self.repairAndCheck(place, original: original, dropped: [13])
        let dropped = try #require(report.dropped.first)
        #expect(report.dropped.count == 1)
        #expect(dropped.file == shard.lastPathComponent && dropped.split == "train")
        #expect(dropped.recordIndex == 3 && dropped.byteOffset == Int64(victim.offset))
        #expect(dropped.byteCount == Int64(victim.length) && dropped.resumedAt == Int64(victim.offset + victim.length))
        #expect(dropped.reason.hasPrefix("payload checksum mismatch"))
        #expect(
            dropped.line(source: place.source.path)
                == "\(shard.path): record 3 at byte \(victim.offset): \(dropped.reason)")
        let manifest = try Manifest.read(from: place.output.path)
        #expect(manifest.splits["train"]!.shards.map(\.records) == [9, 10, 10, 10])
        let info =
            try JSONSerialization.jsonObject(
                with: Data(readBytes(place.output.appendingPathComponent("dataset_info.json").path))) as! [String: Any]
        let split = (info["splits"] as! [[String: Any]])[0]
        #expect(split["shardLengths"] as? [String] == ["9", "10", "10", "10"])
        #expect(split["numBytes"] as? String == String(manifest.splits["train"]!.bytes))
        #expect(report.splits.first?.dropped == 1 && report.splits.first?.sourceRecords == 40)
    }

    /// A changed length byte: the framing is lost, the scan finds the next record, and every
    /// record after it is kept.
    @Test(arguments: [0, 4, 9])
    func aCorruptedLengthIsResynchronised(victimInShard: Int) throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        let shard = place.shard(2)
        let victim = try place.locations(shard)[victimInShard]
        try place.edit(shard) { $0[victim.offset + 1] ^= 0x01 }
        let report = try Self.repairAndCheck(place, original: original, dropped: [20 + victimInShard])
        #expect(report.dropped.map(\.recordIndex) == [victimInShard])
        #expect(report.dropped.first?.reason.hasPrefix("length checksum mismatch") == true)
        if victimInShard < 9 {
            #expect(report.dropped.first?.resumedAt == Int64(victim.offset + victim.length))
        }
    }

    @Test func aShardCutMidRecordLosesItsTail() throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        let shard = place.shard(3)
        let cut = try place.locations(shard)[7]
        try place.edit(shard) { $0.removeLast($0.count - cut.offset - 100) }
        let report = try Self.repairAndCheck(place, original: original, dropped: [37, 38, 39])
        #expect(report.dropped.count == 1)
        #expect(report.dropped.first?.recordIndex == 7 && report.dropped.first?.byteOffset == Int64(cut.offset))
        #expect(report.dropped.first?.resumedAt == nil)
    }

    /// A shard cut exactly between records reads cleanly; only the manifest's count shows it.
    @Test func aShardCutOnARecordBoundaryIsFoundThroughTheManifest() throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        let shard = place.shard(0)
        let cut = try place.locations(shard)[8]
        try place.edit(shard) { $0.removeLast($0.count - cut.offset) }
        let report = try Self.repairAndCheck(place, original: original, dropped: [8, 9])
        #expect(report.dropped.count == 1)
        #expect(report.dropped.first?.recordIndex == 8 && report.dropped.first?.byteOffset == Int64(cut.offset))
        #expect(report.dropped.first?.reason.hasPrefix("the shard ends early") == true)
    }

    @Test func aMissingShardIsReportedAndTheRestCopied() throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        try FileManager.default.removeItem(at: place.shard(1))
        let report = try Self.repairAndCheck(place, original: original, dropped: Set(10..<20))
        #expect(report.dropped.map(\.reason) == ["the shard is missing (the manifest lists 10 records)"])
    }

    /// Without a manifest the shards are found by name, and the report says so.
    @Test func withoutAManifestTheShardsAreFoundByName() throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        try FileManager.default.removeItem(at: place.source.appendingPathComponent(Manifest.fileName))
        let victim = try place.locations(place.shard(1))[2]
        try place.edit(place.shard(1)) { $0[victim.offset + 50] ^= 1 }
        let report = try Self.repairAndCheck(place, original: original, dropped: [12])
        #expect(!report.sourceManifest)
        #expect(report.notes.contains { $0.hasPrefix("no manifest.json in the source") })
        #expect(report.splits.first?.sourceRecords == nil)
        #expect(try Manifest.read(from: place.output.path).splits["train"]!.shards.count == 4)
    }

    /// A compressed shard damaged in its deflate stream loses everything from the damage on;
    /// the other shards are untouched.
    @Test func aDamagedGzipStreamIsDroppedFromTheDamageOn() throws {
        let place = try Place(records: 40, shards: 2, compression: .gzip)
        let original = try Self.records(in: place.source)["train"]!
        try place.edit(place.shard(1, of: 2)) { $0[$0.count / 2] ^= 0x55 }
        let before = try Self.fingerprint(place.source)
        let report = try place.repair()
        #expect(try Self.fingerprint(place.source) == before)
        #expect(try Self.verify(place.output).isClean)
        let kept = try Self.records(in: place.output)["train"]!
        #expect(kept.count == report.recordsKept && report.recordsKept < 40 && report.recordsKept >= 20)
        #expect(Array(kept.prefix(report.recordsKept)) == Array(original.prefix(report.recordsKept)))
        #expect(report.dropped.last?.file == place.shard(1, of: 2).lastPathComponent)
        #expect(report.dropped.last?.resumedAt == nil)
        #expect(report.recordsDropped == 40 - report.recordsKept)
    }

    /// Splits cut by size (`--shard-bytes`) into different shard counts: every record is kept, in
    /// order; each split gets the largest count (one count serves all splits), and the notes say
    /// that the boundaries and counts differ from the source's. A damaged copy still verifies.
    @Test func splitsCutBySizeKeepEveryRecordButNotTheirBoundaries() throws {
        let root = try FixturePaths.makeScratchDirectory("repair-test")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = root.appendingPathComponent("src")
        let writer = try DatasetWriter(
            output: source, name: "sized", sharding: .shardBytes(3000), compression: .none, durable: false)
        for (split, count) in [("train", 60), ("test", 17)] {
            try writer.open(split: split, count: nil)
            for i in 0..<count {
                let example = Example([
                    "v": .int64([Int64(i)]), "pad": .bytes([[UInt8](repeating: 7, count: 40 + i % 90)]),
                ])
                try example.serialized().withUnsafeBytes { try writer.write(split: split, $0) }
            }
            try writer.finish(split: split)
        }
        try writer.commit(
            DatasetDescription(name: "sized", description: "sized", spec: DatasetSpec(features: [("v", .int64)])), schema: nil)
        let srcManifest = try Manifest.read(from: source.path)
        let counts = ["train", "test"].map { srcManifest.splits[$0]!.shards.count }
        #expect(counts[0] > counts[1])

        let clean = root.appendingPathComponent("clean")
        let report = try DatasetRepairer.repair(.init(source: source, output: clean, durable: false))
        #expect(report.isClean)
        #expect(
            report.sharding.hasSuffix(
                "the source's splits have different shard counts (train \(counts[0]), test \(counts[1])), and one count serves all splits, so each has \(counts[0])"
            ))
        #expect(
            report.notes.contains { $0.hasPrefix("the source's shards of train, test do not follow the count rule") })
        #expect(try Self.verify(clean).isClean)
        #expect(try Self.records(in: clean) == Self.records(in: source))
        #expect(
            try Manifest.read(from: clean.path).splits.mapValues(\.shards.count) == [
                "train": counts[0], "test": counts[0],
            ])

        let first = try #require(srcManifest.splits["test"]!.shards.first)
        var bytes = try readBytes(source.appendingPathComponent(first.file).path)
        bytes[30] ^= 0xFF
        try writeBytes(bytes, to: source.appendingPathComponent(first.file).path)
        let damaged = root.appendingPathComponent("damaged")
        let repaired = try DatasetRepairer.repair(.init(source: source, output: damaged, durable: false))
        #expect(repaired.recordsDropped == 1 && repaired.recordsKept == 76)
        #expect(try Self.verify(damaged).isClean)
        #expect(try Self.records(in: damaged)["train"] == Self.records(in: clean)["train"])
        #expect(try Self.records(in: damaged)["test"] == Array(Self.records(in: clean)["test"]!.dropFirst()))
    }

    /// Side files come along as they are; hidden files, folders and stray shards do not.
    @Test func sideFilesAreCarriedAndLeftoversAreNot() throws {
        let place = try Place()
        let extra: [(String, String)] = [("label.labels.txt", "zero\none\n"), ("characters.json", "[\"一\"]\n")]
        for (name, text) in extra {
            try writeBytes(Array(text.utf8), to: place.source.appendingPathComponent(name).path)
        }
        try FileManager.default.createDirectory(
            at: place.source.appendingPathComponent(".shardkit-staging-99999999"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: place.source.appendingPathComponent("plots"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: place.shard(0), to: place.source.appendingPathComponent("other-train.tfrecord-00000-of-00001"))
        let report = try place.repair()
        for (name, text) in extra {
            #expect(try readBytes(place.output.appendingPathComponent(name).path) == Array(text.utf8))
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: place.output.path)
        #expect(!names.contains { $0.hasPrefix(".") || $0 == "plots" || $0.hasPrefix("other-") }, "\(names)")
        #expect(report.notes.contains("plots/: a folder; not copied"))
        #expect(
            report.notes.contains(
                "other-train.tfrecord-00000-of-00001: not a shard of the dataset (not listed in manifest.json); not copied"
            ))
        #expect(try Self.verify(place.output).isClean)
    }

    /// A manifest changed after it was written is used as it reads, with a note; one that is no
    /// manifest at all is replaced by the shards' names, with a note.
    @Test func aDamagedManifestIsNotedAndAnUnreadableOneBypassed() throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        let manifestPath = place.source.appendingPathComponent(Manifest.fileName).path
        let text = String(decoding: try readBytes(manifestPath), as: UTF8.self)
        try writeBytes(
            Array(text.replacingOccurrences(of: "shardkit generate", with: "shardkit generatE").utf8), to: manifestPath)
        var report = try Self.repairAndCheck(place, original: original, dropped: [])
        #expect(report.sourceManifest)
        #expect(
            report.notes.contains { $0.hasPrefix("manifest.json: the manifest's content does not match its checksum") })
        #expect(try Manifest.read(from: place.output.path).metadata["generator"] == "shardkit generatE")

        try FileManager.default.removeItem(at: place.output)
        try writeBytes(Array("{ not json".utf8), to: manifestPath)
        report = try Self.repairAndCheck(place, original: original, dropped: [])
        #expect(!report.sourceManifest)
        #expect(report.notes.contains { $0.hasPrefix("manifest.json is unreadable") })
    }

    /// With a short scan limit, a lost length gives up the rest of the shard.
    @Test func theResyncLimitIsHonoured() throws {
        let place = try Place()
        let original = try Self.records(in: place.source)["train"]!
        let victim = try place.locations(place.shard(0))[5]
        try place.edit(place.shard(0)) { $0[victim.offset] ^= 0x02 }
        let before = try Self.fingerprint(place.source)
        let report = try place.repair(salvage: .init(maxResyncScan: 1000))
        #expect(try Self.fingerprint(place.source) == before)
        #expect(report.recordsDropped == 5)
        #expect(try Self.records(in: place.output)["train"] == Array(original[0..<5] + original[10...]))
        #expect(report.dropped.first?.reason.contains("no record checks out in the 1000 bytes after it") == true)
    }

    // MARK: Refusals

    static func kind(_ body: () throws -> Void) -> DatasetError.Kind? {
        do {
            try body()
            return nil
        } catch let error as DatasetError {
            return error.kind
        } catch {
            return nil
        }
    }

    @Test func theOutputMayNotBeTheSourceOrInsideIt() throws {
        let place = try Place(records: 5, shards: 1)
        let before = try Self.fingerprint(place.source)
        let link = place.root.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: place.source)
        for output in [
            place.source, place.source.appendingPathComponent("fixed"), URL(fileURLWithPath: place.source.path + "/./"),
            link, link.appendingPathComponent("deeper/still"),
        ] {
            #expect(
                Self.kind { _ = try DatasetRepairer.repair(.init(source: place.source, output: output)) } == .usage,
                "\(output.path)")
        }
        #expect(try Self.fingerprint(place.source) == before)
        // A sibling whose name starts like the source's is not inside it.
        #expect(throws: Never.self) {
            try DatasetRepairer.checkPlaces(
                source: place.source, output: place.root.appendingPathComponent("src-fixed"))
        }
    }

    @Test func aMissingOrEmptySourceIsNoInput() throws {
        let place = try Place(records: 0)
        let output = place.output
        #expect(Self.kind { _ = try DatasetRepairer.repair(.init(source: place.source, output: output)) } == .noInput)
        try FileManager.default.createDirectory(at: place.source, withIntermediateDirectories: true)
        #expect(Self.kind { _ = try DatasetRepairer.repair(.init(source: place.source, output: output)) } == .noInput)
        try writeBytes([1, 2, 3], to: place.source.appendingPathComponent("train-images-idx3-ubyte").path)
        #expect(Self.kind { _ = try DatasetRepairer.repair(.init(source: place.source, output: output)) } == .noInput)
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test func anOutputThatHoldsADatasetIsLeftAlone() throws {
        let place = try Place(records: 8, shards: 2)
        _ = try SyntheticRecords.write(
            to: place.output, name: "generated", records: 3, shards: 1, compression: .none, quiet: true)
        let before = try Self.fingerprint(place.output)
        #expect(Self.kind { _ = try place.repair() } == .outputExists)
        #expect(try Self.fingerprint(place.output) == before)
    }
}
