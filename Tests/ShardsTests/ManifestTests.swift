import Examples
import Foundation
import RecordIO
import Shards
import TestSupport
import Testing

@Suite struct ManifestTests {
    private func sample(split: String = "train", metadata: [String: String] = ["seed": "42"]) -> Manifest {
        let shard = ShardManifest(
            file: "ds-\(split).tfrecord-00000-of-00001", records: 3, bytes: 300,
            sha256: String(repeating: "a", count: 64),
            index: "ds-\(split).tfrecord-00000-of-00001.index")
        return Manifest(
            name: "ds", version: "1.0.0", compression: .none, splits: [split: SplitManifest(shards: [shard])],
            features: [SchemaEntry(key: "image", kind: .bytes, minCount: 1, maxCount: 1)], metadata: metadata)
    }

    @Test func roundTripAndDeterministicBytes() throws {
        let scratch = try Scratch()
        let manifest = sample()
        try manifest.write(to: scratch.path)
        #expect(try scratch.listing() == ["manifest.json"])
        var read = try Manifest.read(from: scratch.path)
        // The written manifest carries the checksum of its own JSON; everything else round-trips.
        #expect(read.checksum?.hasPrefix("sha256:") == true)
        read.checksum = nil
        #expect(read == manifest)
        var readFromFile = try Manifest.read(from: scratch.file("manifest.json"))
        readFromFile.checksum = nil
        #expect(readFromFile == manifest)
        let first = try readBytes(scratch.file("manifest.json"))
        #expect(Manifest.checksumMismatch(in: first) == nil)
        try manifest.write(to: scratch.path)
        #expect(try readBytes(scratch.file("manifest.json")) == first)
        let text = String(decoding: first, as: UTF8.self)
        #expect(text.contains("\"format\" : \"tfrecord\""))
        #expect(text.contains("\"minCount\" : 1"))
        // Keys are sorted: "compression" comes before "features" before "name".
        let c = try #require(text.range(of: "\"compression\""))
        let n = try #require(text.range(of: "\"name\""))
        #expect(c.lowerBound < n.lowerBound)
    }

    /// An image shape is three numbers, sides positive (or -1: varies) and at most 2²⁰, 1 or 3
    /// channels: a crafted manifest cannot make `rawByteCount` overflow.
    @Test func imageShapesAreBounded() throws {
        func spec(_ shape: String) -> ImageSpec? {
            try? JSONDecoder().decode(
                ImageSpec.self, from: Data("{\"key\": \"image\", \"shape\": \(shape), \"encoding\": \"raw\"}".utf8))
        }
        #expect(spec("[28, 28, 1]")?.rawByteCount == 784)
        #expect(spec("[-1, 64, 3]")?.rawByteCount == nil)
        #expect(spec("[1048576, 1048576, 3]")?.rawByteCount == 3 << 40)
        for bad in ["[4294967296, 4294967296, 1]", "[1048577, 1, 1]", "[0, 28, 1]", "[28, 28, 2]", "[28, 28]"] {
            #expect(spec(bad) == nil, "\(bad)")
        }
    }

    @Test func splitTotals() {
        let shards = [
            ShardManifest(file: "a", records: 2, bytes: 10, sha256: "", index: nil),
            ShardManifest(file: "b", records: 5, bytes: 30, sha256: "", index: nil),
        ]
        let split = SplitManifest(shards: shards)
        #expect(split.records == 7)
        #expect(split.bytes == 40)
    }

    @Test func mergeSplits() throws {
        let merged = try Manifest.merged([sample(split: "train"), sample(split: "test", metadata: ["augment": "none"])])
        #expect(merged.splits.keys.sorted() == ["test", "train"])
        #expect(merged.metadata == ["seed": "42", "augment": "none"])
        #expect(throws: RecordIOError.self) {
            _ = try Manifest.merged([sample(), sample(metadata: ["seed": "7"])])
        }
        var other = sample(split: "test")
        other.version = "2.0.0"
        #expect(throws: RecordIOError.self) { _ = try Manifest.merged([sample(), other]) }
    }

    @Test func shardedWriterOutputMakesAManifest() throws {
        let scratch = try Scratch()
        var manifest = Manifest(name: "ds", version: "1")
        for (split, count) in [("train", 7), ("test", 3)] {
            let writer = try ShardedWriter(
                directory: scratch.path, name: "ds", split: split, sharding: .shards(2), records: count)
            for i in 0..<count { try writer.write([UInt8(i)]) }
            try manifest.merge(
                Manifest(name: "ds", version: "1", splits: [split: SplitManifest(shards: try writer.finish())]))
        }
        try manifest.write(to: scratch.path)
        let read = try Manifest.read(from: scratch.path)
        #expect(read.splits["train"]?.records == 7)
        #expect(read.splits["test"]?.shards.count == 2)
        #expect(read.splits["test"].map(\.bytes) == Int64(3 * 17))
    }
}
