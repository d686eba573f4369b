import Foundation
import TestSupport
import Testing

@testable import RecordIO

/// GZIP files written as several members, and reading single records at known places.
@Suite struct RandomAccessTests {
    /// 200 payloads of 500–1,500 bytes.
    static let payloads: [[UInt8]] = (0..<200).map { i in
        var random = TestBytes(seed: UInt64(i) + 100)
        return random.bytes(500 + i * 53 % 1000)
    }

    /// Writes `payloads` as GZIP members of `memberBytes` and returns every location.
    static func writeMembers(_ path: String, memberBytes: Int, bufferSize: Int = 1 << 20) throws -> [RecordLocation] {
        var writer = try RecordWriter(
            path: path, compression: .gzip, bufferSize: bufferSize, gzipMemberBytes: memberBytes, keepsLocations: true)
        var locations: [RecordLocation] = []
        for payload in payloads {
            try writer.write(payload)
            try writer.takeLocations { locations.append($0) }
        }
        try writer.close()
        try writer.takeLocations { locations.append($0) }
        return locations
    }

    @Test func membersStartWhereTheLocationsSayAndHoldWholeRecords() throws {
        let scratch = try Scratch()
        let path = scratch.file("members.gz")
        let locations = try Self.writeMembers(path, memberBytes: 16 << 10)
        #expect(locations.count == Self.payloads.count)
        let file = try readBytes(path)
        let memberOffsets = locations.compactMap { $0.member?.offsetInMember == 0 ? $0.member!.fileOffset : nil }
        #expect(memberOffsets.count > 5)
        #expect(Set(locations.map { $0.member!.fileOffset }).sorted() == memberOffsets)
        for offset in memberOffsets { #expect(file[Int(offset)] == 0x1F && file[Int(offset) + 1] == 0x8B) }
        // The sequential reader sees one stream, and with tracking the same member starts.
        var reader = try RecordReader(path: path, options: .init(tracksGzipMembers: true))
        var read: [[UInt8]] = []
        while let payload = try reader.next() { read.append(payload) }
        #expect(read == Self.payloads)
        #expect(reader.gzipMemberStarts.map(\.fileOffset) == memberOffsets)
        let firstRecords = locations.filter { $0.member!.offsetInMember == 0 }
        #expect(reader.gzipMemberStarts.map(\.streamOffset) == firstRecords.map(\.offset))
        // Each location reads its record by inflating its member alone.
        let records = try RecordFile(path: path)
        for (i, location) in locations.enumerated() {
            #expect(try records.record(at: location, recordIndex: i) == Self.payloads[i])
        }
    }

    @Test func memberBytesDoNotDependOnTheBufferSize() throws {
        let scratch = try Scratch()
        let a = try Self.writeMembers(scratch.file("a.gz"), memberBytes: 10_000, bufferSize: 4096)
        let b = try Self.writeMembers(scratch.file("b.gz"), memberBytes: 10_000, bufferSize: 1 << 20)
        #expect(a == b)
        #expect(try readBytes(scratch.file("a.gz")) == readBytes(scratch.file("b.gz")))
    }

    @Test func oneMemberWithoutAMemberSize() throws {
        let scratch = try Scratch()
        let path = scratch.file("one.gz")
        try writeRecords(Self.payloads, to: path, compression: .gzip)
        var reader = try RecordReader(path: path, options: .init(tracksGzipMembers: true))
        while try reader.next() != nil {}
        #expect(reader.gzipMemberStarts == [GzipMemberStart(fileOffset: 0, streamOffset: 0)])
    }

    @Test func memberSizesNeedGzip() throws {
        let scratch = try Scratch()
        for compression in [Compression.none, .zlib] {
            let error = recordIOError { _ = try RecordWriter(path: scratch.file("x"), compression: compression, gzipMemberBytes: 1000) }
            guard case .invalidArgument = error?.kind else {
                Issue.record("\(compression): \(String(describing: error))")
                continue
            }
        }
        let zero = recordIOError { _ = try RecordWriter(path: scratch.file("y"), compression: .gzip, gzipMemberBytes: 0) }
        #expect(zero != nil)
    }

    @Test func plainRecordsAtTheirOffsets() throws {
        let scratch = try Scratch()
        let path = scratch.file("plain")
        let locations = try writeRecords(Self.payloads, to: path)
        let records = try RecordFile(path: path)
        for i in [0, 1, 99, 199] { #expect(try records.record(at: locations[i]) == Self.payloads[i]) }
        #expect(records.size == locations.last!.offset + locations.last!.length)
    }

    @Test func aDamagedOrMisplacedRecordIsNamedWithItsOffset() throws {
        let scratch = try Scratch()
        let path = scratch.file("plain")
        let locations = try writeRecords(Self.payloads, to: path)
        var bytes = try readBytes(path)
        bytes[Int(locations[7].offset) + 12 + 5] ^= 0x10  // a payload byte of record 7
        try writeBytes(bytes, to: path)
        let records = try RecordFile(path: path)
        let damaged = recordIOError { _ = try records.record(at: locations[7], recordIndex: 7) }
        #expect(damaged?.recordIndex == 7 && damaged?.byteOffset == locations[7].offset && damaged?.path == path)
        guard case .payloadChecksumMismatch = damaged?.kind else {
            Issue.record("\(String(describing: damaged))")
            return
        }
        // A length that is not the record's.
        var wrongLength = locations[3]
        wrongLength.length += 1
        #expect(
            recordIOError { _ = try records.record(at: wrongLength) }?.kind
                == .locationMismatch(expected: wrongLength.length, found: UInt64(locations[3].length)))
        // An offset inside a record: its bytes are no record header.
        let inside = RecordLocation(offset: locations[3].offset + 4, length: locations[3].length)
        guard case .lengthChecksumMismatch = recordIOError({ _ = try records.record(at: inside) })?.kind else {
            Issue.record("an offset inside a record was read")
            return
        }
        // Past the end of the file.
        let past = RecordLocation(offset: records.size - 10, length: 100)
        #expect(recordIOError { _ = try records.record(at: past) }?.kind == .truncated(expected: 100, found: 10))
    }

    @Test func aWrongMemberOffsetOrDamagedMemberIsACompressionError() throws {
        let scratch = try Scratch()
        let path = scratch.file("members.gz")
        let locations = try Self.writeMembers(path, memberBytes: 16 << 10)
        let records = try RecordFile(path: path)
        var wrong = locations[50]
        wrong.member!.fileOffset += 1
        let error = recordIOError { _ = try records.record(at: wrong, recordIndex: 50) }
        #expect(error?.byteOffset == wrong.offset && error?.recordIndex == 50)
        #expect(error?.description.contains("no gzip member starts there") == true, "\(String(describing: error))")
        // Past the member's end: the member ends before the record does.
        var beyond = locations[50]
        beyond.member!.offsetInMember += 1 << 20
        #expect(recordIOError { _ = try records.record(at: beyond) }?.description.contains("the member ends") == true)
        // Damaged compressed data inside the member.
        var bytes = try readBytes(path)
        let member = Int(locations[50].member!.fileOffset)
        for k in 40..<60 { bytes[member + k] ^= 0x55 }
        try writeBytes(bytes, to: path)
        let damaged = try RecordFile(path: path)
        let failure = recordIOError { _ = try damaged.record(at: locations[50], recordIndex: 50) }
        switch failure?.kind {
        case .compression?, .payloadChecksumMismatch?, .lengthChecksumMismatch?, .locationMismatch?: break
        default: Issue.record("unexpected \(String(describing: failure))")
        }
    }
}
