import Foundation
import RecordIO
import TestSupport
import Testing

@Suite struct RecordFramingTests {
    @Test func knownPayloadFramesToExactBytes() throws {
        let scratch = try Scratch()
        let path = scratch.file("hello.tfrecord")
        let locations = try writeRecords([Array("hello".utf8), []], to: path)
        let expected: [UInt8] = [
            0x05, 0, 0, 0, 0, 0, 0, 0, 0xEA, 0xB2, 0x04, 0x3E, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0xBB, 0x1F, 0x1C, 0x19,
            0, 0, 0, 0, 0, 0, 0, 0, 0x29, 0x03, 0x98, 0x07, 0xD8, 0xEA, 0x82, 0xA2,
        ]
        #expect(try readBytes(path) == expected)
        #expect(locations == [RecordLocation(offset: 0, length: 21), RecordLocation(offset: 21, length: 16)])
    }

    @Test(arguments: Compression.allCases)
    func roundTrip(compression: Compression) throws {
        let scratch = try Scratch()
        let path = scratch.file("data.tfrecord")
        var random = TestBytes(seed: 11)
        var payloads: [[UInt8]] = [[], [1], []]
        for i in 0..<300 { payloads.append(random.bytes(Int(random.next() % 5000) + (i == 7 ? 3_000_000 : 0))) }
        payloads.append([])
        try writeRecords(payloads, to: path, compression: compression)
        #expect(try readAll(path, compression: compression) == payloads)
        #expect(try readAll(path) == payloads)  // detected
        #expect(try RecordReader.detectCompression(path: path) == compression)
        let head = try readBytes(path).prefix(2)
        switch compression {
        case .none: #expect(head == [0, 0])  // length 0, little-endian
        case .gzip: #expect(head == [0x1F, 0x8B])
        case .zlib: #expect(head.first == 0x78 && (UInt16(head.first!) << 8 | UInt16(head.last!)) % 31 == 0)
        }
    }

    @Test(arguments: Compression.allCases)
    func zeroRecordFile(compression: Compression) throws {
        let scratch = try Scratch()
        let path = scratch.file("empty.tfrecord")
        try writeRecords([], to: path, compression: compression)
        #expect(try readAll(path).isEmpty)
        #expect(try readAll(path, compression: compression).isEmpty)
    }

    @Test func emptyFileHasZeroRecords() throws {
        let scratch = try Scratch()
        let path = scratch.file("empty")
        try writeBytes([], to: path)
        #expect(try readAll(path).isEmpty)
        #expect(try readAll(path, compression: .gzip).isEmpty)
    }

    @Test func plainFileThatLooksLikeZlibIsReadAsPlain() throws {
        // A first record of 0x0178 = 376 bytes starts with 78 01, a valid zlib header.
        let scratch = try Scratch()
        let path = scratch.file("looks-like-zlib")
        let payloads = [[UInt8](repeating: 9, count: 376), [1, 2, 3]]
        try writeRecords(payloads, to: path)
        #expect(try readBytes(path).prefix(2) == [0x78, 0x01])
        #expect(try RecordReader.detectCompression(path: path) == .none)
        #expect(try readAll(path) == payloads)
        // Likewise a 0x8B1F-byte first record starts with the gzip magic 1F 8B.
        let gzipLike = scratch.file("looks-like-gzip")
        try writeRecords([[UInt8](repeating: 1, count: 0x8B1F)], to: gzipLike)
        #expect(try RecordReader.detectCompression(path: gzipLike) == .none)
    }

    @Test func zeroCopyAndClosureForms() throws {
        let scratch = try Scratch()
        let path = scratch.file("data")
        var writer = try RecordWriter(path: path)
        let location = try writer.writeRecord(capacity: 100) { buffer in
            for i in 0..<10 { buffer[i] = UInt8(i) }
            return 10
        }
        try writer.write([42])
        #expect(writer.recordCount == 2)
        #expect(writer.bytesWritten == 26 + 17)
        let summary = try writer.close()
        #expect(summary.fileBytes == 43)
        #expect(location == RecordLocation(offset: 0, length: 26))

        var reader = try RecordReader(path: path)
        let first = try #require(try reader.nextRecord())
        #expect(Array(first) == (0..<10).map { UInt8($0) })
        #expect(reader.lastRecordOffset == 0)
        var rest: [[UInt8]] = []
        try reader.forEach { rest.append(Array($0)) }
        #expect(rest == [[42]])
        #expect(try reader.nextRecord() == nil)
    }

    @Test func smallReadBufferGrowsForLargeRecords() throws {
        let scratch = try Scratch()
        let path = scratch.file("data")
        var random = TestBytes(seed: 5)
        let payloads = (0..<20).map { random.bytes($0 * 997) }
        for compression in Compression.allCases {
            try writeRecords(payloads, to: path, compression: compression)
            #expect(try readAll(path, options: .init(bufferSize: 100)) == payloads)
        }
    }
}
