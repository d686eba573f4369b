import Foundation
import RecordIO
import TestSupport
import Testing

/// Five records of 100 bytes: record k starts at byte 116·k.
private func fivePayloads() -> [[UInt8]] {
    (0..<5).map { k in [UInt8](repeating: UInt8(k + 1), count: 100) }
}

private func makeFile(_ scratch: Scratch, _ name: String = "data.tfrecord", edit: (inout [UInt8]) -> Void) throws
    -> String
{
    let path = scratch.file(name)
    try writeRecords(fivePayloads(), to: path)
    var bytes = try readBytes(path)
    edit(&bytes)
    try writeBytes(bytes, to: path)
    return path
}

/// Reads until an error; returns the payloads read before it and the error.
private func readUntilError(_ path: String, options: RecordReader.Options = .init()) throws -> (
    [[UInt8]], RecordIOError?
) {
    var reader = try RecordReader(path: path, options: options)
    var payloads: [[UInt8]] = []
    do {
        while let payload = try reader.next() { payloads.append(payload) }
        return (payloads, nil)
    } catch {
        return (payloads, error)
    }
}

@Suite struct RecordReaderErrorTests {
    @Test func truncatedHeader() throws {
        let scratch = try Scratch()
        let path = try makeFile(scratch) { $0.removeLast($0.count - (3 * 116 + 5)) }
        let (payloads, error) = try readUntilError(path)
        #expect(payloads == Array(fivePayloads()[..<3]))
        let failure = try #require(error)
        #expect(failure.recordIndex == 3)
        #expect(failure.byteOffset == 348)
        #expect(failure.kind == .truncated(expected: 12, found: 5))
        #expect(failure.path == path)
    }

    @Test func truncatedPayload() throws {
        let scratch = try Scratch()
        let path = try makeFile(scratch) { $0.removeLast($0.count - (2 * 116 + 12 + 50)) }
        let (payloads, error) = try readUntilError(path)
        #expect(payloads.count == 2)
        let failure = try #require(error)
        #expect(failure.recordIndex == 2)
        #expect(failure.byteOffset == 232)
        #expect(failure.kind == .truncated(expected: 116, found: 62))
    }

    @Test func truncatedFooter() throws {
        let scratch = try Scratch()
        let path = try makeFile(scratch) { $0.removeLast(2) }
        let (payloads, error) = try readUntilError(path)
        #expect(payloads.count == 4)
        #expect(error?.kind == .truncated(expected: 116, found: 114))
        #expect(error?.byteOffset == 464)
    }

    @Test func flippedLengthByte() throws {
        let scratch = try Scratch()
        let path = try makeFile(scratch) { $0[3 * 116 + 1] ^= 0x01 }
        let (payloads, error) = try readUntilError(path)
        #expect(payloads.count == 3)
        let failure = try #require(error)
        #expect(failure.recordIndex == 3)
        #expect(failure.byteOffset == 348)
        var corruptLength: [UInt8] = [100, 1, 0, 0, 0, 0, 0, 0]
        let found = CRC32C.checksum(corruptLength)
        corruptLength[1] = 0
        let expected = CRC32C.checksum(corruptLength)
        #expect(failure.kind == .lengthChecksumMismatch(expected: expected, found: found))
    }

    @Test func flippedPayloadByteReportsRecordAndOffset() throws {
        let scratch = try Scratch()
        for k in [0, 3, 4] {
            let path = try makeFile(scratch, "payload-\(k)") { $0[k * 116 + 12 + 40] ^= 0x80 }
            let (payloads, error) = try readUntilError(path)
            #expect(payloads.count == k)
            let failure = try #require(error)
            #expect(failure.recordIndex == k)
            #expect(failure.byteOffset == Int64(k * 116))
            var damaged = fivePayloads()[k]
            damaged[40] ^= 0x80
            let expected = CRC32C.checksum(fivePayloads()[k])
            let found = CRC32C.checksum(damaged)
            #expect(failure.kind == .payloadChecksumMismatch(expected: expected, found: found))
            let hex = { (v: UInt32) in
                "0x" + String(repeating: "0", count: 8 - String(v, radix: 16).count) + String(v, radix: 16)
            }
            #expect(
                failure.description
                    == "\(path): record \(k) at byte \(k * 116): payload checksum mismatch (expected \(hex(expected)), found \(hex(found)))"
            )
            // Without verification the damaged payload comes through.
            #expect(try readAll(path, options: .init(verifyChecksums: false)).count == 5)
        }
    }

    @Test func errorsAreSticky() throws {
        let scratch = try Scratch()
        let path = try makeFile(scratch) { $0[12] ^= 1 }
        var reader = try RecordReader(path: path)
        let first = recordIOError { _ = try reader.nextRecord() }
        let second = recordIOError { _ = try reader.nextRecord() }
        #expect(first != nil)
        #expect(first == second)
    }

    @Test func absurdLengthIsAnErrorNotAnAllocation() throws {
        let scratch = try Scratch()
        // A header claiming 2^50 bytes with a correct length CRC, after one good record.
        let path = try makeFile(scratch) { bytes in
            var header = [UInt8](repeating: 0, count: 8)
            header[6] = 0x04  // 1 << 50
            let masked = CRC32C.mask(CRC32C.checksum(header))
            bytes =
                Array(bytes[..<116]) + header + withUnsafeBytes(of: masked.littleEndian) { Array($0) }
                + [UInt8](repeating: 0, count: 30)
        }
        let (payloads, error) = try readUntilError(path)
        #expect(payloads.count == 1)
        let failure = try #require(error)
        #expect(failure.recordIndex == 1)
        #expect(failure.byteOffset == 116)
        #expect(failure.kind == .lengthTooLarge(length: 1 << 50, remaining: 30))

        // Unverified garbage length: same error, from the length limit.
        let garbage = try makeFile(scratch, "garbage") { bytes in
            for i in 116..<124 { bytes[i] = 0xFF }
        }
        let (_, unverified) = try readUntilError(garbage, options: .init(verifyChecksums: false))
        #expect(unverified?.kind == .lengthTooLarge(length: .max, remaining: 580 - 128))

        // In a compressed stream the limit is the reader's maximum record length.
        let gz = scratch.file("absurd.gz")
        var writer = try RecordWriter(path: gz, compression: .gzip)
        try writer.write([1, 2, 3])
        try writer.close()
        let (_, small) = try readUntilError(gz, options: .init(maxRecordLength: 2))
        #expect(small?.kind == .lengthTooLarge(length: 3, remaining: 2))
    }

    @Test(arguments: [Compression.gzip, .zlib])
    func compressedStreamCutShort(compression: Compression) throws {
        let scratch = try Scratch()
        let path = scratch.file("data.compressed")
        var random = TestBytes(seed: 1)
        let payloads = (0..<200).map { _ in random.bytes(1000) }
        try writeRecords(payloads, to: path, compression: compression)
        let full = try readBytes(path)
        for keep in [full.count - 4, full.count / 2, 10] {
            try writeBytes(Array(full[..<keep]), to: path)
            var reader = try RecordReader(path: path, compression: compression)
            var count = 0
            let failure = recordIOError {
                while try reader.next() != nil { count += 1 }
            }
            #expect(count < payloads.count || keep == full.count - 4)
            guard case .compression(let message)? = failure?.kind else {
                Issue.record(
                    "expected a compression error for \(keep) of \(full.count) bytes, got \(String(describing: failure))"
                )
                continue
            }
            #expect(message.contains("cut short"))
        }
    }

    @Test func corruptCompressedData() throws {
        let scratch = try Scratch()
        let path = scratch.file("data.gz")
        var random = TestBytes(seed: 2)
        try writeRecords((0..<50).map { _ in random.bytes(500) }, to: path, compression: .gzip)
        var bytes = try readBytes(path)
        for i in 100..<140 { bytes[i] ^= 0x5A }
        try writeBytes(bytes, to: path)
        var failure: RecordIOError?
        do { _ = try readAll(path) } catch let error as RecordIOError { failure = error }
        let kind = try #require(failure?.kind)
        switch kind {
        case .compression, .payloadChecksumMismatch, .lengthChecksumMismatch, .truncated, .lengthTooLarge: break
        default: Issue.record("unexpected \(kind)")
        }
    }

    @Test func skipCorruptCountsSkippedRecords() throws {
        let scratch = try Scratch()
        let path = try makeFile(scratch) { bytes in
            bytes[1 * 116 + 20] ^= 1
            bytes[3 * 116 + 12 + 99] ^= 1
        }
        var reader = try RecordReader(path: path, options: .init(skipCorrupt: true))
        var payloads: [[UInt8]] = []
        while let payload = try reader.next() { payloads.append(payload) }
        #expect(payloads == [fivePayloads()[0], fivePayloads()[2], fivePayloads()[4]])
        #expect(reader.skippedRecords == 2)
        #expect(reader.recordIndex == 5)
        #expect(reader.skipReports.map(\.recordIndex) == [1, 3])
        #expect(reader.skipReports.map(\.byteOffset) == [116, 348])
        #expect(reader.skipReports.first?.reason.hasPrefix("payload checksum mismatch (expected 0x") == true)

        // A bad length CRC cannot be skipped: the record boundaries are lost.
        let badLength = try makeFile(scratch, "bad-length") { $0[2 * 116] ^= 1 }
        let (read, error) = try readUntilError(badLength, options: .init(skipCorrupt: true))
        #expect(read.count == 2)
        #expect(error?.recordIndex == 2)
    }

    @Test func missingFileIsAnIOError() {
        let failure = recordIOError { _ = try RecordReader(path: "/nonexistent/shardkit/file") }
        guard case .io? = failure?.kind else {
            Issue.record("expected an io error, got \(String(describing: failure))")
            return
        }
        #expect(failure?.description.hasPrefix("/nonexistent/shardkit/file: open failed") == true)
    }
}
