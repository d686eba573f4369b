import Foundation
import RecordIO
import TestSupport
@testable import Shards
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
            directory: scratch.path, name: "ds", split: "train", sharding: .shards(4), records: total)
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
        // Index files sit in index/, out of the shards' glob pattern.
        #expect(try scratch.listing() == (shards.map(\.file) + ["index"]).sorted())
        #expect(shards.map(\.index) == shards.map { "index/\($0.file).index" })
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: scratch.file("index")).sorted()
                == shards.map { $0.file + ".index" })
    }

    @Test func moreShardsThanRecordsGivesEmptyShards() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "test", sharding: .shards(3), records: 1)
        try writer.write([1])
        let shards = try writer.finish()
        #expect(shards.map(\.records) == [0, 0, 1])
        #expect(try readAll(scratch.file(shards[0].file)).isEmpty)
    }

    @Test func wrongRecordCountIsAnError() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "x", sharding: .shards(2), records: 2)
        try writer.write([1])
        #expect(throws: RecordIOError.self) { _ = try writer.finish() }
        #expect(try scratch.listing().isEmpty)

        let over = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "y", sharding: .shards(1), records: 1)
        try over.write([1])
        #expect(throws: RecordIOError.self) { try over.write([2]) }
        over.abort()
        #expect(try scratch.listing().isEmpty)
    }

    @Test func targetSizeRotatesAndRenamesAtFinish() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .shardBytes(1000))
        for i in 0..<40 {
            try writer.write(payload(i))
            // Before finish nothing carries a final name.
            if i == 20 {
                #expect(try scratch.listing().allSatisfy { $0.hasPrefix(".") || $0 == "index" })
                let indexes = try FileManager.default.contentsOfDirectory(atPath: scratch.file("index"))
                #expect(indexes.allSatisfy { $0.hasPrefix(".") })
            }
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
            directory: scratch.path, name: "ds", split: "empty", sharding: .shardBytes(1000))
        let shards = try writer.finish()
        #expect(shards.map(\.file) == ["ds-empty.tfrecord-00000-of-00001"])
        #expect(shards[0].records == 0 && shards[0].bytes == 0)
    }

    @Test func indexFilesMatchActualOffsets() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .shards(2), records: 30)
        for i in 0..<30 { try writer.write(payload(i)) }
        let shards = try writer.finish()
        for shard in shards {
            let index = try #require(shard.index)
            let text = String(decoding: try readBytes(scratch.file(index)), as: UTF8.self)
            #expect(text.hasSuffix("\n"))
            // Fixed-width lines: 12-digit offset, 10-digit length.
            #expect(text.split(separator: "\n").allSatisfy { $0.utf8.count == 23 && $0.split(separator: " ").map(\.count) == [12, 10] })
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
            directory: scratch.path, name: "ds", split: "train", sharding: .shardBytes(3000),
            compression: compression)
        for i in 0..<100 { try writer.write(payload(i)) }
        let shards = try writer.finish()
        for shard in shards {
            let path = scratch.file(shard.file)
            #expect(try sha256(fileAt: path) == shard.sha256)
            #expect(Int64(try readBytes(path).count) == shard.bytes)
            #expect(shard.sha256.count == 64)
            #expect((shard.index != nil) == (compression != .zlib))
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
        for (sharding, records) in [(ShardingPolicy.shards(3), 30 as Int?), (.shardBytes(500), nil)] {
            let writer = try ShardedWriter(
                directory: scratch.path, name: "ds", split: "train", sharding: sharding, records: records)
            for i in 0..<25 { try writer.write(payload(i)) }
            #expect(try !scratch.listing().isEmpty)
            writer.abort()
            #expect(try scratch.listing().isEmpty)
        }
        // Dropping an unfinished writer cleans up too.
        do {
            let writer = try ShardedWriter(
                directory: scratch.path, name: "ds", split: "train", sharding: .shardBytes(500))
            for i in 0..<25 { try writer.write(payload(i)) }
        }
        #expect(try scratch.listing().isEmpty)
    }

    @Test func zeroCopyWriteThroughShardedWriter() throws {
        let scratch = try Scratch()
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: "train", sharding: .shards(1), records: 1)
        try writer.writeRecord(capacity: 8) { buffer in
            buffer.copyBytes(from: [7, 7, 7])
            return 3
        }
        let shards = try writer.finish()
        #expect(try readAll(scratch.file(shards[0].file)) == [[7, 7, 7]])
    }
}

/// GZIP shards as sequences of gzip members with an index into them; ZLIB shards stay one stream.
@Suite struct GzipShardTests {
    /// Payloads of 1,000–3,000 bytes: 400 of them make about 800 KiB of framed records, so
    /// several members of `ShardedWriter.gzipMemberBytes`.
    static func payload(_ i: Int) -> [UInt8] {
        var random = TestBytes(seed: UInt64(i) &* 31)
        let noise = random.bytes(1000 + i * 37 % 2000)
        return noise.enumerated().map { $0.offset % 3 == 0 ? $0.element : UInt8(truncatingIfNeeded: i) }
    }

    static func write(
        _ count: Int, compression: Compression, bufferSize: Int = 1 << 20, in scratch: Scratch, split: String = "train"
    ) throws -> [ShardManifest] {
        let writer = try ShardedWriter(
            directory: scratch.path, name: "ds", split: split, sharding: .shards(1), records: count,
            compression: compression, bufferSize: bufferSize, durable: false)
        for i in 0..<count { try writer.write(payload(i)) }
        return try writer.finish()
    }

    static func indexLines(_ path: String) throws -> [String] {
        String(decoding: try readBytes(path), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func membersHoldWholeRecordsAndTheIndexPointsIntoThem() throws {
        let scratch = try Scratch()
        let n = 400
        let shard = try #require(try Self.write(n, compression: .gzip, in: scratch).first)
        let plain = try #require(try Self.write(n, compression: .none, in: scratch, split: "plain").first)
        let file = try readBytes(scratch.file(shard.file))
        let lines = try Self.indexLines(scratch.file(try #require(shard.index)))
        let plainLines = try Self.indexLines(scratch.file(try #require(plain.index)))
        #expect(lines.count == n)
        let entries = lines.map { ShardIndex.parse(Array($0.utf8)) }
        #expect(lines.allSatisfy { $0.utf8.count == 47 })
        // The first two columns are the plain shard's index, as the tfrecord package reads them.
        #expect(lines.map { String($0.prefix(23)) } == plainLines)
        let members = Array(Set(entries.map { $0!.member!.fileOffset })).sorted()
        #expect(members.count >= 3, "\(members)")
        #expect(members.first == 0)
        for member in members { #expect(Array(file[Int(member)..<Int(member) + 3]) == [0x1F, 0x8B, 0x08]) }
        // A member holds records from the first at offset 0 up to the first that starts at or past 256 KiB.
        for (i, entry) in entries.enumerated() {
            let location = try #require(entry)
            let member = try #require(location.member)
            let startsMember = i == 0 || entries[i - 1]!.member!.fileOffset != member.fileOffset
            #expect((member.offsetInMember == 0) == startsMember)
            #expect(member.offsetInMember < Int64(ShardedWriter.gzipMemberBytes))
            if startsMember && i > 0 {
                let previous = entries[i - 1]!
                #expect(previous.member!.offsetInMember + previous.length >= Int64(ShardedWriter.gzipMemberBytes))
            }
        }
        // Every entry decodes exactly record i, inflating its member only.
        let records = try RecordFile(path: scratch.file(shard.file))
        for (i, entry) in entries.enumerated() {
            #expect(try records.record(at: entry!, recordIndex: i) == Self.payload(i))
        }
        // The sequential reader reads the members as one stream.
        #expect(try readAll(scratch.file(shard.file)) == (0..<n).map(Self.payload))
    }

    /// The member boundaries follow the records, not the moments buffers are handed to the
    /// compressing thread: any buffer size gives the same bytes.
    @Test func gzipBytesDoNotDependOnTheBufferSize() throws {
        let small = try Scratch()
        let large = try Scratch()
        let a = try Self.write(300, compression: .gzip, bufferSize: 4096, in: small)
        let b = try Self.write(300, compression: .gzip, bufferSize: 1 << 20, in: large)
        #expect(a == b)
        #expect(try readBytes(small.file(a[0].file)) == readBytes(large.file(b[0].file)))
        #expect(try readBytes(small.file(a[0].index!)) == readBytes(large.file(b[0].index!)))
    }

    @Test func zlibShardsStayOneStreamWithoutIndex() throws {
        let scratch = try Scratch()
        let shard = try #require(try Self.write(300, compression: .zlib, in: scratch).first)
        #expect(shard.index == nil)
        #expect(try scratch.listing() == [shard.file])
        #expect(try readAll(scratch.file(shard.file), compression: .zlib) == (0..<300).map(Self.payload))
    }
}

/// The index line format: fixed-width zero-padded numbers, parsed back whatever their width.
@Suite struct ShardIndexTests {
    static func line(_ location: RecordLocation) -> String? {
        let width = ShardIndex.lineWidth(members: location.member != nil)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: width, alignment: 1)
        defer { buffer.deallocate() }
        guard ShardIndex.writeLine(location, to: buffer) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: buffer, count: width), as: UTF8.self)
    }

    @Test func linesAreZeroPaddedToFixedWidths() {
        #expect(Self.line(RecordLocation(offset: 0, length: 21)) == "000000000000 0000000021\n")
        #expect(Self.line(RecordLocation(offset: 123_456_789_012, length: 9_999_999_999)) == "123456789012 9999999999\n")
        #expect(
            Self.line(RecordLocation(offset: 598, length: 517, member: GzipMemberPosition(fileOffset: 13_338_667, offsetInMember: 598)))
                == "000000000598 0000000517 000013338667 0000000598\n")
        #expect(ShardIndex.lineWidth(members: false) == 24 && ShardIndex.lineWidth(members: true) == 48)
    }

    @Test func numbersThatDoNotFitAreRefused() {
        #expect(Self.line(RecordLocation(offset: 1_000_000_000_000, length: 16)) == nil)
        #expect(Self.line(RecordLocation(offset: 0, length: 10_000_000_000)) == nil)
        #expect(Self.line(RecordLocation(offset: -1, length: 16)) == nil)
    }

    @Test func parsesPaddedAndUnpaddedLinesAndRejectsOthers() {
        func parse(_ text: String) -> RecordLocation? { ShardIndex.parse(Array(text.utf8)) }
        #expect(parse("000000000021 0000000016") == RecordLocation(offset: 21, length: 16))
        #expect(parse("21 16") == RecordLocation(offset: 21, length: 16))
        #expect(
            parse("5 17 300 5") == RecordLocation(offset: 5, length: 17, member: GzipMemberPosition(fileOffset: 300, offsetInMember: 5)))
        for bad in ["", "21", "21 16 3", "21  16", " 21 16", "21 16 ", "2x 16", "-1 16", "1 2 3 4 5", "99999999999999999999 1"] {
            #expect(parse(bad) == nil, "\(bad)")
        }
    }
}
