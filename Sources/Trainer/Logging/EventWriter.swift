import Foundation
import Imaging
import RecordIO
internal import ShardKitSupport

/// Writes TensorBoard event files: `events.out.tfevents.<seconds>.<host>` in a log directory,
/// TFRecord-framed `Event` protocol buffers (see formats/tensorboard-events.md). The first event
/// carries `file_version = "brain.Event:2"`; the others carry scalar or image summaries.
///
/// Events are flushed to the file after every `flush()` (and on `close()`), so TensorBoard sees
/// them while training runs.
final class EventWriter {
    /// The event file's path.
    let path: String
    private var writer: RecordWriter?

    /// Creates `directory` if needed and a new event file in it.
    init(directory: String, time: Date = Date()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let seconds = Int(time.timeIntervalSince1970)
        var candidate = "\(directory)/events.out.tfevents.\(seconds).\(host)"
        var n = 1
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(directory)/events.out.tfevents.\(seconds).\(host).\(n)"
            n += 1
        }
        path = candidate
        do {
            writer = try RecordWriter(path: path, bufferSize: 1 << 16)
        } catch {
            throw TrainingOutputError(.writeFailed, path: path, message: error.reason)
        }
        var event = EventEncoder.header(wallTime: time.timeIntervalSince1970)
        try write(&event)
        try flush()
    }

    deinit { try? close() }

    /// Adds scalar summaries (tag → value) at `step`.
    func scalars(_ values: [(tag: String, value: Float)], step: Int, wallTime: Date = Date()) throws {
        var event = EventEncoder.scalars(values, step: Int64(step), wallTime: wallTime.timeIntervalSince1970)
        try write(&event)
    }

    /// Adds an image summary (PNG-encoded) at `step`.
    func image(_ tag: String, _ image: Image, step: Int, wallTime: Date = Date()) throws {
        let png = try PNGCodec.encode(image)
        var event = EventEncoder.image(
            tag: tag, height: image.height, width: image.width, channels: image.channels, png: png, step: Int64(step),
            wallTime: wallTime.timeIntervalSince1970)
        try write(&event)
    }

    /// Writes buffered events to the file.
    func flush() throws {
        do { try writer?.flush() } catch { throw TrainingOutputError(.writeFailed, path: path, message: error.reason) }
    }

    /// Flushes and closes the file; further writes fail.
    func close() throws {
        guard var w = writer else { return }
        writer = nil
        do { _ = try w.close() } catch { throw TrainingOutputError(.writeFailed, path: path, message: error.reason) }
    }

    /// A failed write (a full disk) is an output failure naming the event file.
    private func write(_ event: inout [UInt8]) throws {
        guard writer != nil else { throw DataError(path: path, message: "event file is closed") }
        do { _ = try writer!.write(event) } catch { throw TrainingOutputError(.writeFailed, path: path, message: error.reason) }
    }
}

/// The few protobuf messages of an event file, encoded by hand (proto3 wire format).
enum EventEncoder {
    static func header(wallTime: Double) -> [UInt8] {
        var e = ProtobufWriter()
        e.double(1, wallTime)
        e.varint(2, 0)
        e.bytes(3, Array("brain.Event:2".utf8))
        return e.bytes
    }

    static func scalars(_ values: [(tag: String, value: Float)], step: Int64, wallTime: Double) -> [UInt8] {
        var summary = ProtobufWriter()
        for (tag, value) in values {
            var v = ProtobufWriter()
            v.bytes(1, Array(tag.utf8))
            v.float(2, value)
            summary.bytes(1, v.bytes)
        }
        return event(summary: summary.bytes, step: step, wallTime: wallTime)
    }

    static func image(
        tag: String, height: Int, width: Int, channels: Int, png: [UInt8], step: Int64, wallTime: Double
    ) -> [UInt8] {
        var image = ProtobufWriter()
        image.varint(1, UInt64(height))
        image.varint(2, UInt64(width))
        image.varint(3, UInt64(channels))
        image.bytes(4, png)
        var v = ProtobufWriter()
        v.bytes(1, Array(tag.utf8))
        v.bytes(4, image.bytes)
        var summary = ProtobufWriter()
        summary.bytes(1, v.bytes)
        return event(summary: summary.bytes, step: step, wallTime: wallTime)
    }

    private static func event(summary: [UInt8], step: Int64, wallTime: Double) -> [UInt8] {
        var e = ProtobufWriter()
        e.double(1, wallTime)
        e.varint(2, UInt64(bitPattern: step))
        e.bytes(5, summary)
        return e.bytes
    }
}
