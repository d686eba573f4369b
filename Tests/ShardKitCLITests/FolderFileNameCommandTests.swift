import Foundation
import TestSupport
import Testing

/// `convert folder` on file and class names with prepending marks (U+06DD, U+0600), which join the
/// `.` after them into one Character: every image is converted, and the class names and file
/// names come back byte for byte in label.labels.txt, the records and `inspect`.
@Suite struct FolderFileNameCommandTests {
    @Test func namesWithAPrependingMarkBeforeTheDotConvertAndRoundTrip() throws {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-folder-names-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input")
        let output = directory.appendingPathComponent("output")
        // (relative path, fixture image): gray PNGs, stored as they are.
        let files = [
            ("a/a.png", "train/circle/00-l.png"),
            ("x۝/x۝.png", "train/square/03-l.png"),
            ("x۝/y\u{600}.PNG", "train/三角/02-l.png"),
        ]
        for (path, fixture) in files {
            let url = input.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: FixturePaths.fixture("folder/" + fixture), to: url)
        }

        let result = try ShardKitProcess.run(["convert", "folder", "--input", input.path, "--output", output.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("  train: 3 records in 1 shard, "), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("  skipped: none\n"), "\(result.standardOutput)")
        let labels = try Data(contentsOf: output.appendingPathComponent("label.labels.txt"))
        #expect([UInt8](labels) == Array("a\nx۝\n".utf8))

        let records = try dumpedRecords(output, split: "train")
        #expect(records.map { $0.filename.map { Array($0.utf8) } } == files.map { Array($0.0.utf8) })
        #expect(records.map(\.label) == [0, 1, 1])
        for (record, file) in zip(records, files) {
            #expect(record.image == (try readBytes(FixturePaths.fixture("folder/" + file.1).path)), "\(file.0)")
        }
        let histogram = try ShardKitProcess.run(["inspect", output.path, "--histogram", "label", "--quiet"])
        #expect(histogram.status == 0)
        #expect(histogram.standardOutput.contains("x۝"), "\(histogram.standardOutput)")
        #expect(try ShardKitProcess.run(["verify", output.path, "--quiet"]).status == 0)
    }
}
