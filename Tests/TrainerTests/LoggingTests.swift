import Foundation
import Imaging
import RecordIO
import TestSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

@Suite("TensorBoard event writer")
struct LoggingTests {
    @Test func scalarEventBytes() {
        // Event{wall_time=1.5, step=300, summary{value{tag="loss", simple_value=0.5}}}
        let bytes = EventEncoder.scalars([("loss", 0.5)], step: 300, wallTime: 1.5)
        let expected: [UInt8] =
            [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F]  // wall_time, fixed64
            + [0x10, 0xAC, 0x02]  // step 300, varint
            + [0x2A, 0x0D]  // summary, 13 bytes
            + [0x0A, 0x0B]  // value, 11 bytes
            + [0x0A, 0x04] + Array("loss".utf8)  // tag
            + [0x15, 0, 0, 0, 0x3F]  // simple_value 0.5, fixed32
        #expect(bytes == expected)
    }

    @Test func fileHasHeaderThenEventsInTFRecordFraming() throws {
        let dir = try FixturePaths.makeScratchDirectory("events")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try EventWriter(directory: dir.path, time: Date(timeIntervalSince1970: 1_700_000_000))
        try writer.scalars([("loss", 1), ("accuracy", 0.25)], step: 10)
        try writer.image(
            "input/0", Image(height: 2, width: 3, channels: 1, pixels: [0, 50, 100, 150, 200, 255]), step: 0)
        try writer.close()
        let name = URL(fileURLWithPath: writer.path).lastPathComponent
        #expect(name.hasPrefix("events.out.tfevents.1700000000."))
        var reader = try RecordReader(path: writer.path)
        var records: [[UInt8]] = []
        while let r = try reader.next() { records.append(r) }
        #expect(records.count == 3)
        #expect(records[0].starts(with: [0x09]))
        #expect(records[0].suffix(15) == ArraySlice([0x1A, 0x0D] + Array("brain.Event:2".utf8)))
        // The image value carries height 2, width 3, colorspace 1 and a PNG.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47]
        #expect(records[2].firstRange(of: [0x08, 0x02, 0x10, 0x03, 0x18, 0x01, 0x22]) != nil)
        #expect(records[2].firstRange(of: png) != nil)
    }
}
