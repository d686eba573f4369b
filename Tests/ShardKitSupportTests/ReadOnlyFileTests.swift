import Foundation
import TestSupport
import Testing

@testable import ShardKitSupport

/// The one file-reading layer (`ReadOnlyFile`) under RecordIO's `ReadableFile` and Formats'
/// `FileSource`: sequential and positioned reads, seeks, and failures with their `errno`.
@Suite struct ReadOnlyFileTests {
    @Test func readsSequentiallyAtOffsetsAndSeeks() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bytes").path
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try ReadOnlyFile(path: path)
        #expect(file.size == 1000 && file.isRegularFile && file.path == path)
        var buffer = [UInt8](repeating: 0, count: 600)
        let first = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 10) }
        #expect(first == 10 && Array(buffer[0..<10]) == Array(bytes[0..<10]))
        // A positioned read does not move the file position; it stops only at the end of the file.
        let tail = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 600, at: 700) }
        #expect(tail == 300 && Array(buffer[0..<300]) == Array(bytes[700...]))
        #expect(file.seek(by: 90))
        let next = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 5) }
        #expect(next == 5 && Array(buffer[0..<5]) == Array(bytes[100..<105]))
        let atEnd = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 8, at: 1000) }
        #expect(atEnd == 0)
    }

    @Test func failuresCarryTheCallAndErrno() throws {
        #expect(throws: SystemCallError("open", code: ENOENT)) { _ = try ReadOnlyFile(path: "/nonexistent/file") }
        #expect(SystemCallError("open", code: ENOENT).isMissingFile)
        #expect(SystemCallError("open", code: ENOENT).reason == "No such file or directory")
        // A folder opens read-only but does not read.
        let folder = try ReadOnlyFile(path: "/")
        #expect(!folder.isRegularFile)
        var byte: UInt8 = 0
        #expect(throws: SystemCallError("read", code: EISDIR)) { _ = try folder.read(into: &byte, count: 1) }
        #expect(throws: SystemCallError("pread", code: EISDIR)) { _ = try folder.read(into: &byte, count: 1, at: 0) }
    }
}
