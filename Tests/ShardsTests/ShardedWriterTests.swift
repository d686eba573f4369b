import Foundation
import RecordIO
import TestSupport
import Shards
import Testing

private func payload(_ i: Int) -> [UInt8] {
    var random = TestBytes(seed: UInt64(i))
    return random.bytes(50 + i % 37)
}

@Suite struct ShardedWriterTests {
    @Test func shardFileNames() {
        #expect(
            ShardedWriter.shardFileName(name: "mnist", split: "train", index: 0, count: 4)
                == "mnist-train.tfrecord-00000-of-00004")
        #expect(
            ShardedWriter.shardFileName(name: "svhn", split: "test", index: 12, count: 123_456)
                == "svhn-test.tfrecord-00012-of-123456")
    }

    @Test func shardCountSplitsContiguously() throws {
        let scratch = try Scratch()
        let total = 10
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .shardCount(4, totalRecords: total))
        for i in 0..<total { try writer.write(payload(i)) }
        let shards = try writer.finish()
        #expect(shards.map(\.file) == (0..<4).map { "ds-train.tfrecord-0000\($0)-of-00004" })
        #expect(shards.map(\.records) == [2, 3, 2, 3])  // [k·10/4, (k+1)·10/4)
        var next = 0
        for shard in shards {
            let records = try readAll(scratch.file(shard.file))
            #expect(records == (next..<(next + shard.records)).map(payload))
            next += shard.records
        }
        #expect(try scratch.listing() == shards.flatMap { [$0.file, $0.file + ".index"] }.sorted())
    }

    @Test func moreShardsThanRecordsGivesEmptyShards() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "test", sharding: .shardCount(3, totalRecords: 1))
        try writer.write([1])
        let shards = try writer.finish()
        #expect(shards.map(\.records) == [0, 0, 1])
        #expect(try readAll(scratch.file(shards[0].file)).isEmpty)
    }

    @Test func wrongRecordCountIsAnError() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "x", sharding: .shardCount(2, totalRecords: 2))
        try writer.write([1])
        #expect(throws: RecordIOError.self) { _ = try writer.finish() }
        #expect(try scratch.listing().isEmpty)

        let over = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "y", sharding: .shardCount(1, totalRecords: 1))
        try over.write([1])
        #expect(throws: RecordIOError.self) { try over.write([2]) }
        over.abort()
        #expect(try scratch.listing().isEmpty)
    }

    @Test func targetSizeRotatesAndRenamesAtFinish() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .targetShardBytes(1000))
        for i in 0..<40 {
            try writer.write(payload(i))
            // Before finish nothing carries a final name.
            if i == 20 { #expect(try scratch.listing().allSatisfy { $0.hasPrefix(".") }) }
        }
        let shards = try writer.finish()
        let n = shards.count
        #expect(n > 1)
        #expect(
            shards.map(\.file)
                == (0..<n).map { ShardedWriter.shardFileName(name: "ds", split: "train", index: $0, count: n) })
        for shard in shards.dropLast() {
            #expect(shard.bytes >= 1000)
            #expect(shard.bytes < 1000 + 16 + 100)  // rotated right after reaching the target
        }
        #expect(shards.reduce(0) { $0 + $1.records } == 40)
        var all: [[UInt8]] = []
        for shard in shards { all += try readAll(scratch.file(shard.file)) }
        #expect(all == (0..<40).map(payload))
        #expect(try scratch.listing().allSatisfy { !$0.hasPrefix(".") })
    }

    @Test func emptyTargetSizeSplitHasOneEmptyShard() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "empty", sharding: .targetShardBytes(1000))
        let shards = try writer.finish()
        #expect(shards.map(\.file) == ["ds-empty.tfrecord-00000-of-00001"])
        #expect(shards[0].records == 0 && shards[0].bytes == 0)
    }

    @Test func indexFilesMatchActualOffsets() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .shardCount(2, totalRecords: 30))
        for i in 0..<30 { try writer.write(payload(i)) }
        let shards = try writer.finish()
        for shard in shards {
            let index = try #require(shard.index)
            let text = String(decoding: try readBytes(scratch.file(index)), as: UTF8.self)
            #expect(text.hasSuffix("\n"))
            let entries = text.split(separator: "\n").map { line in line.split(separator: " ").map { Int64($0)! } }
            #expect(entries.count == shard.records)
            // Walk the file's framing by hand and compare.
            let bytes = try readBytes(scratch.file(shard.file))
            var offset = 0
            for entry in entries {
                let length = bytes[offset..<(offset + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
                #expect(entry == [Int64(offset), Int64(16 + length)])
                offset += 16 + length
            }
            #expect(offset == bytes.count)
        }
    }

    @Test(arguments: Compression.allCases)
    func sha256AndSizesMatchTheFiles(compression: Compression) throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .targetShardBytes(3000),
            compression: compression)
        for i in 0..<100 { try writer.write(payload(i)) }
        let shards = try writer.finish()
        for shard in shards {
            let path = scratch.file(shard.file)
            #expect(try sha256(fileAt: path) == shard.sha256)
            #expect(Int64(try readBytes(path).count) == shard.bytes)
            #expect(shard.sha256.count == 64)
            #expect((shard.index != nil) == (compression == .none))
        }
        #expect(try shards.flatMap { try readAll(scratch.file($0.file)) } == (0..<100).map(payload))
    }

    @Test func sha256OfKnownContent() throws {
        let scratch = try Scratch()
        let path = scratch.file("abc")
        try writeBytes(Array("abc".utf8), to: path)
        #expect(try sha256(fileAt: path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func abortLeavesNoShard() throws {
        let scratch = try Scratch()
        for sharding in [ShardedWriter.Sharding.shardCount(3, totalRecords: 30), .targetShardBytes(500)] {
            let writer = try ShardedWriter(directory: scratch.path, name: "ds", split: "train", sharding: sharding)
            for i in 0..<25 { try writer.write(payload(i)) }
            #expect(try !scratch.listing().isEmpty)
            writer.abort()
            #expect(try scratch.listing().isEmpty)
        }
        // Dropping an unfinished writer cleans up too.
        do {
            let writer = try ShardedWriter(
                directory: scratch.path, name: "ds", split: "train", sharding: .targetShardBytes(500))
            for i in 0..<25 { try writer.write(payload(i)) }
        }
        #expect(try scratch.listing().isEmpty)
    }

    @Test func zeroCopyWriteThroughShardedWriter() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .shardCount(1, totalRecords: 1))
        try writer.writeRecord(capacity: 8) { buffer in
            buffer.copyBytes(from: [7, 7, 7])
            return 3
        }
        let shards = try writer.finish()
        #expect(try readAll(scratch.file(shards[0].file)) == [[7, 7, 7]])
    }
}
