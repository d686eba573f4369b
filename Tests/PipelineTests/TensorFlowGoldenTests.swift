import Examples
import Foundation
import RecordIO
import Shards
import TestSupport
import Testing

/// Files written by TensorFlow's own TFRecordWriter (Fixtures/tfrecord/make_golden.py), read back
/// with every value compared to what the script wrote.
@Suite struct TensorFlowGoldenTests {
    struct Expected: Decodable {
        struct Record: Decodable {
            var image: String
            var ints: [Int64]
            var floats: [String]
            var names: [String]
            var label: Int64
        }
        var records: [Record]
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func float(bitsHex: String) -> Float {
        let b = bytes(hex: bitsHex)
        return Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
    }

    @Test(arguments: [("tf-golden.tfrecord", Compression.none), ("tf-golden.tfrecord.gz", .gzip),
                      ("tf-golden.tfrecord.zlib", .zlib)])
    func readsEveryValueTensorFlowWrote(file: String, compression: Compression) throws {
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: FixturePaths.fixture("tfrecord/expected.json")))
        var reader = try RecordReader(path: FixturePaths.fixture("tfrecord/\(file)").path)
        #expect(reader.compression == compression)
        var index = 0
        while let payload = try reader.next() {
            let example = try Example(serializedBytes: payload)
            let want = try #require(expected.records.count > index ? expected.records[index] : nil)
            #expect(example.bytes("image") == [Self.bytes(hex: want.image)])
            #expect(example.int64s("ints") == want.ints)
            #expect(example.int64s("label") == [want.label])
            let floats = try #require(example.floats("floats"))
            #expect(floats.map(\.bitPattern) == want.floats.map { Self.float(bitsHex: $0).bitPattern })
            #expect(example.bytes("names") == want.names.map { Self.bytes(hex: $0) })
            index += 1
        }
        #expect(index == expected.records.count)
    }

    @Test func emptyFileHasZeroRecords() throws {
        var reader = try RecordReader(path: FixturePaths.fixture("tfrecord/tf-empty.tfrecord").path)
        #expect(try reader.next() == nil)
    }
}
