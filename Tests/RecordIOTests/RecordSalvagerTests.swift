import Foundation
import TestSupport
import Testing

@testable import RecordIO

/// What `RecordSalvager` returns from one file: the good records with their offsets, and the damage.
private struct Salvaged {
    var records: [(payload: [UInt8], offset: Int64)] = []
    var damage: [RecordDamage] = []
    var payloads: [[UInt8]] { records.map(\.payload) }
}

private func salvage(_ path: String, compression: Compression? = nil, options: RecordSalvager.Options = .init()) throws
    -> Salvaged
{
    var salvager = try RecordSalvager(path: path, compression: compression, options: options)
    var out = Salvaged()
    while let item = try salvager.next() {
        switch item {
        case .record(let payload, let offset): out.records.append(([UInt8](payload), offset))
        case .damage(let damage): out.damage.append(damage)
        }
    }
    #expect(salvager.ended)
    #expect(try salvager.next() == nil, "nothing after the end")
    return out
}

/// Records of distinct sizes and contents, so a record found in the wrong place would show.
private func payloads(_ count: Int, seed: UInt64 = 1) -> [[UInt8]] {
    var bytes = TestBytes(seed: seed)
    return (0..<count).map { k in bytes.bytes(40 + (k * 37) % 300) }
}

/// A file of `records`, edited by `edit` (given the bytes and the records' locations).
private func damagedFile(
    _ scratch: Scratch, _ records: [[UInt8]], compression: Compression = .none,
    edit: (inout [UInt8], [RecordLocation]) -> Void
) throws -> (path: String, locations: [RecordLocation]) {
    let plain = scratch.file("plain.tfrecord")
    let locations = try writeRecords(records, to: plain)
    var bytes = try readBytes(plain)
    edit(&bytes, locations)
    let path = scratch.file("damaged.tfrecord")
    if compression == .none {
        try writeBytes(bytes, to: path)
    } else {
        // The damage happens before compression: the compressed stream itself is sound.
        let sink = try ByteSink(path: path, compression: compression, level: 6, bufferSize: 1 << 16, hashing: false)
        try bytes.withUnsafeBytes { try sink.append($0) }
        _ = try sink.close(sync: false)
    }
    return (path, locations)
}

@Suite struct RecordSalvagerTests {
    @Test func aCleanFileGivesEveryRecordAtItsOffset() throws {
        let scratch = try Scratch()
        let records = payloads(20)
        let (path, locations) = try damagedFile(scratch, records) { _, _ in }
        let result = try salvage(path)
        #expect(result.damage.isEmpty)
        #expect(result.payloads == records)
        #expect(result.records.map(\.offset) == locations.map(\.offset))
    }

    @Test func anEmptyFileEndsCleanly() throws {
        let scratch = try Scratch()
        try writeBytes([], to: scratch.file("empty"))
        let result = try salvage(scratch.file("empty"))
        #expect(result.records.isEmpty && result.damage.isEmpty)
    }

    /// A changed payload byte, or a changed byte of the payload's CRC: that record goes, the
    /// framing holds, every other record comes back.
    @Test(arguments: [0, 7, 19], [false, true])
    func aBadPayloadDropsOnlyItsRecord(victim: Int, inFooter: Bool) throws {
        let scratch = try Scratch()
        let records = payloads(20)
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            let location = locations[victim]
            let at = inFooter ? location.offset + location.length - 2 : location.offset + 12 + 5
            bytes[Int(at)] ^= 0x20
        }
        let result = try salvage(path)
        var expected = records
        expected.remove(at: victim)
        #expect(result.payloads == expected)
        let damage = try #require(result.damage.first)
        #expect(result.damage.count == 1)
        #expect(damage.recordIndex == victim)
        #expect(damage.byteOffset == locations[victim].offset)
        #expect(damage.byteCount == locations[victim].length)
        #expect(damage.resumedAt == locations[victim].offset + locations[victim].length)
        guard case .payloadChecksumMismatch = damage.error.kind else {
            Issue.record("expected a payload checksum mismatch, got \(damage.error.kind)")
            return
        }
        #expect(
            damage.description.hasPrefix(
                "\(path): record \(victim) at byte \(locations[victim].offset): payload checksum mismatch"))
    }

    /// A changed byte of the length or of its CRC: the framing is lost; the scan finds the next
    /// record, and every record but the damaged one comes back, with its index right.
    @Test(arguments: [0, 1, 10, 19], [0, 5, 9])
    func aBadLengthIsResynchronised(victim: Int, byte: Int) throws {
        let scratch = try Scratch()
        let records = payloads(20)
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            bytes[Int(locations[victim].offset) + byte] ^= 0x01
        }
        let result = try salvage(path)
        var expected = records
        expected.remove(at: victim)
        #expect(result.payloads == expected)
        #expect(
            result.records.map(\.offset) == locations.enumerated().filter { $0.offset != victim }.map(\.element.offset))
        let damage = try #require(result.damage.first)
        #expect(result.damage.count == 1)
        #expect(damage.recordIndex == victim)
        #expect(damage.byteOffset == locations[victim].offset)
        if victim + 1 < records.count {
            #expect(damage.resumedAt == locations[victim + 1].offset)
            #expect(damage.byteCount == locations[victim].length)
        } else {
            #expect(damage.resumedAt == nil, "nothing to resume at after the last record")
        }
        guard case .lengthChecksumMismatch = damage.error.kind else {
            Issue.record("expected a length checksum mismatch, got \(damage.error.kind)")
            return
        }
    }

    /// A lost length followed by a record whose payload is bad: the scan accepts only a record
    /// that checks out whole, so both go as one stretch and the one after is found.
    @Test func twoDamagedRecordsInARowAreOneStretch() throws {
        let scratch = try Scratch()
        let records = payloads(10)
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            bytes[Int(locations[4].offset) + 2] ^= 0xFF
            bytes[Int(locations[5].offset) + 20] ^= 0xFF
        }
        let result = try salvage(path)
        #expect(result.payloads == Array(records[0..<4] + records[6...]))
        #expect(result.damage.count == 1)
        #expect(result.damage.first?.byteOffset == locations[4].offset)
        #expect(result.damage.first?.resumedAt == locations[6].offset)
        #expect(result.damage.first?.byteCount == locations[4].length + locations[5].length)
    }

    /// Zeroed bytes over several records (a lost disk page): the records it touched go, the
    /// first untouched one is found again (the CRC of zeros is not zero, so zeros never pass as
    /// a header).
    @Test func aZeroedStretchIsSkipped() throws {
        let scratch = try Scratch()
        let records = payloads(30)
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            let from = Int(locations[3].offset) + 30
            let to = Int(locations[8].offset) + 5
            for i in from..<to { bytes[i] = 0 }
        }
        let result = try salvage(path)
        #expect(result.payloads == Array(records[0..<3] + records[9...]))
        // Record 3 keeps its length (only its payload is hit); the framing is lost from record 4 on.
        #expect(result.damage.map(\.byteOffset) == [locations[3].offset, locations[4].offset])
        #expect(result.damage.map(\.resumedAt) == [locations[4].offset, locations[9].offset])
        #expect(result.damage.map(\.recordIndex) == [3, 4])
    }

    @Test func aFileCutInsideAPayloadLosesOnlyItsTail() throws {
        let scratch = try Scratch()
        let records = payloads(12)
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            bytes.removeLast(bytes.count - Int(locations[9].offset) - 40)
        }
        let result = try salvage(path)
        #expect(result.payloads == Array(records[0..<9]))
        let damage = try #require(result.damage.first)
        #expect(result.damage.count == 1)
        #expect(damage.recordIndex == 9)
        #expect(damage.byteOffset == locations[9].offset)
        #expect(damage.byteCount == 40)
        #expect(damage.resumedAt == nil)
        #expect(damage.error.kind == .truncated(expected: Int(locations[9].length), found: 40))
        #expect(damage.reason.hasSuffix("the rest of the file (40 bytes) is dropped"))
    }

    @Test func aFileCutInsideAHeaderLosesOnlyItsTail() throws {
        let scratch = try Scratch()
        let records = payloads(5)
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            bytes.removeLast(bytes.count - Int(locations[3].offset) - 7)
        }
        let result = try salvage(path)
        #expect(result.payloads == Array(records[0..<3]))
        #expect(result.damage.map(\.error.kind) == [.truncated(expected: 12, found: 7)])
        #expect(result.damage.first?.byteOffset == locations[3].offset)
    }

    /// The scan gives up after `maxResyncScan` bytes and drops the rest of the file.
    @Test func theScanStopsAtItsLimit() throws {
        let scratch = try Scratch()
        let records = (0..<6).map { k in [UInt8](repeating: UInt8(k), count: 1000) }
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            bytes[Int(locations[2].offset)] ^= 0x80
        }
        let short = try salvage(path, options: .init(maxResyncScan: 500))
        #expect(short.payloads == Array(records[0..<2]))
        let damage = try #require(short.damage.first)
        #expect(damage.resumedAt == nil)
        #expect(damage.scannedWithoutRecord == 500)
        #expect(damage.byteCount == Int64(try readBytes(path).count) - locations[2].offset)
        #expect(damage.reason.contains("no record checks out in the 500 bytes after it"))
        // Just far enough: the next record starts 1,016 bytes after the damaged one.
        let enough = try salvage(path, options: .init(maxResyncScan: 1016))
        #expect(enough.payloads == records.enumerated().filter { $0.offset != 2 }.map(\.element))
    }

    @Test func bytesThatAreNoTFRecordGiveNoRecordAndOneDamage() throws {
        let scratch = try Scratch()
        var random = TestBytes(seed: 9)
        try writeBytes(random.bytes(50_000), to: scratch.file("noise"))
        let result = try salvage(scratch.file("noise"), compression: Compression.none)
        #expect(result.records.isEmpty)
        #expect(result.damage.count == 1)
        #expect(result.damage.first?.byteCount == 50_000)
        #expect(result.damage.first?.resumedAt == nil)
    }

    /// Single changed bytes in random records of a larger file: exactly the records that were
    /// touched are missing, the others come back in order at their offsets, and each damage
    /// starts at a touched record.
    @Test(arguments: 1...8 as ClosedRange<UInt64>)
    func randomDamageLosesExactlyTheTouchedRecords(seed: UInt64) throws {
        let scratch = try Scratch()
        let records = payloads(200, seed: seed)
        var random = TestBytes(seed: seed &* 7919)
        var touched: Set<Int> = []
        let (path, locations) = try damagedFile(scratch, records) { bytes, locations in
            for _ in 0..<(1 + Int(random.next() % 12)) {
                let k = Int(random.next() % UInt64(locations.count))
                guard touched.insert(k).inserted else { continue }
                let at = locations[k].offset + Int64(random.next() % UInt64(locations[k].length))
                bytes[Int(at)] ^= UInt8(1 + random.next() % 255)
            }
        }
        let result = try salvage(path)
        let kept = locations.indices.filter { !touched.contains($0) }
        #expect(result.payloads == kept.map { records[$0] }, "touched \(touched.sorted())")
        #expect(result.records.map(\.offset) == kept.map { locations[$0].offset })
        let touchedOffsets = Set(touched.map { locations[$0].offset })
        #expect(result.damage.allSatisfy { touchedOffsets.contains($0.byteOffset) })
        #expect(!result.damage.isEmpty)
    }

    /// Compressed files: a bad payload with an intact length drops only its record; a lost length
    /// drops the rest (a deflate stream cannot be resynchronised), as does a damaged or cut stream.
    @Test(arguments: [Compression.gzip, .zlib])
    func compressedFiles(compression: Compression) throws {
        let scratch = try Scratch()
        let records = payloads(30)
        let badPayload = try damagedFile(scratch, records, compression: compression) { bytes, locations in
            bytes[Int(locations[11].offset) + 14] ^= 0x04
        }
        var result = try salvage(badPayload.path)
        #expect(result.payloads == Array(records[0..<11] + records[12...]))
        #expect(result.damage.map(\.byteOffset) == [badPayload.locations[11].offset])
        #expect(result.damage.first?.resumedAt == badPayload.locations[12].offset)

        let badLength = try damagedFile(scratch, records, compression: compression) { bytes, locations in
            bytes[Int(locations[11].offset) + 1] ^= 0x04
        }
        result = try salvage(badLength.path)
        #expect(result.payloads == Array(records[0..<11]))
        #expect(result.damage.count == 1)
        #expect(result.damage.first?.byteOffset == badLength.locations[11].offset)
        #expect(result.damage.first?.resumedAt == nil)
        #expect(result.damage.first?.byteCount == nil, "the size of what a damaged stream held is unknown")

        // Damage to the compressed bytes themselves, and a cut stream.
        let sound = try damagedFile(scratch, records, compression: compression) { _, _ in }
        let compressed = try readBytes(sound.path)
        for edit in ["flip", "cut"] {
            var bytes = compressed
            if edit == "flip" { bytes[bytes.count / 2] ^= 0x5A } else { bytes.removeLast(bytes.count / 3) }
            try writeBytes(bytes, to: scratch.file("stream-\(edit)"))
            result = try salvage(scratch.file("stream-\(edit)"), compression: compression)
            #expect(!result.damage.isEmpty, "\(edit)")
            #expect(result.damage.last?.resumedAt == nil, "\(edit)")
            // What survives is genuine: records of the original, in order.
            var next = 0
            for payload in result.payloads {
                guard let k = records[next...].firstIndex(of: payload) else {
                    Issue.record("\(edit): a record that was never written")
                    break
                }
                next = k + 1
            }
            #expect(result.records.count < records.count, "\(edit)")
        }
    }

    @Test func aMissingFileIsAnIOError() throws {
        let scratch = try Scratch()
        #expect(throws: RecordIOError.self) { try RecordSalvager(path: scratch.file("missing")) }
    }
}
