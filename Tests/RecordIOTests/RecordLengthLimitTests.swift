import RecordIO
import TestSupport
import Testing

/// A record header whose length is under the maximum record length (2 GiB) but beyond the data
/// that follows: the reader reports the record as truncated without reserving the declared length
/// (plain files: checked against the file's size; compressed: the buffer only grows as data comes).
@Suite struct RecordLengthLimitTests {
    /// A header declaring `length` with a valid length CRC, then `tail` bytes.
    func forgedRecord(length: UInt64, tail: Int) -> [UInt8] {
        let header = withUnsafeBytes(of: length.littleEndian) { Array($0) }
        let crc = CRC32C.mask(CRC32C.checksum(header))
        return header + withUnsafeBytes(of: crc.littleEndian) { Array($0) } + [UInt8](repeating: 0xAB, count: tail)
    }

    func firstError(_ path: String) throws -> RecordIOError? {
        var reader = try RecordReader(path: path)
        return recordIOError { _ = try reader.next() }
    }

    @Test func plainLengthBeyondTheFileIsTruncatedUpFront() throws {
        let scratch = try Scratch()
        let path = scratch.file("forged.tfrecord")
        try writeBytes(forgedRecord(length: 1 << 30, tail: 20), to: path)
        let error = try #require(try firstError(path))
        #expect(error.byteOffset == 0 && error.recordIndex == 0)
        #expect(error.kind == .truncated(expected: (1 << 30) + 16, found: 32))
    }

    @Test(arguments: [Compression.gzip, .zlib])
    func compressedLengthBeyondTheStreamIsTruncated(compression: Compression) throws {
        let scratch = try Scratch()
        let path = scratch.file("forged.\(compression.rawValue)")
        let sink = try ByteSink(path: path, compression: compression, level: 6, bufferSize: 1 << 16, hashing: false)
        try forgedRecord(length: 1 << 30, tail: 100).withUnsafeBytes { try sink.append($0) }
        _ = try sink.close(sync: false)
        #expect(try RecordReader.detectCompression(path: path) == compression)
        let error = try #require(try firstError(path))
        #expect(error.byteOffset == 0 && error.recordIndex == 0)
        #expect(error.kind == .truncated(expected: (1 << 30) + 16, found: 112))
    }
}
