public import Foundation
public import RecordIO

// Record-file helpers shared by the RecordIO and Shards tests.

/// A deterministic byte generator (SplitMix64) so failures reproduce.
public struct TestBytes {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = next()
            for _ in 0..<8 where i < count {
                out[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return out
    }
}

/// A scratch directory removed when the value is dropped at the end of a test.
public final class Scratch {
    public let url: URL
    public var path: String { url.path }

    public init() throws { url = try FixturePaths.makeScratchDirectory("recordio-test") }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

public func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

public func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Writes `payloads` to `path` and returns their locations.
@discardableResult
public func writeRecords(_ payloads: [[UInt8]], to path: String, compression: Compression = .none) throws
    -> [RecordLocation]
{
    var writer = try RecordWriter(path: path, compression: compression)
    var locations: [RecordLocation] = []
    for payload in payloads { locations.append(try writer.write(payload)) }
    try writer.close()
    return locations
}

/// Reads every payload of `path`.
public func readAll(_ path: String, compression: Compression? = nil, options: RecordReader.Options = .init()) throws
    -> [[UInt8]]
{
    var reader = try RecordReader(path: path, compression: compression, options: options)
    var out: [[UInt8]] = []
    while let payload = try reader.next() { out.append(payload) }
    return out
}

/// Runs `body` and returns the `RecordIOError` it throws (nil if none).
public func recordIOError(_ body: () throws -> Void) -> RecordIOError? {
    do {
        try body()
        return nil
    } catch let error as RecordIOError {
        return error
    } catch {
        return nil
    }
}

/// Every regular file below `directory` (hidden ones and those in sub-folders such as `index/`
/// included), by path relative to `directory` → bytes.
public func regularFiles(under directory: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let fm = FileManager.default
    for path in try fm.subpathsOfDirectory(atPath: directory.path) {
        var isFolder: ObjCBool = false
        let url = directory.appendingPathComponent(path)
        if fm.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
            files[path] = try Data(contentsOf: url)
        }
    }
    return files
}
