import Foundation
import TestSupport
import Testing

/// EMNIST as NIST ships it: one `gzip.zip` whose `gzip/` folder holds every set's gzipped idx
/// files and mapping files (fixture `Fixtures/archives/emnist/gzip.zip`, made by
/// Fixtures/generate.py from `Fixtures/emnist/`, letters and digits; images before labels, as in
/// the real one). `convert emnist --input gzip.zip`, or the folder holding the zip, gives the
/// shards of the unpacked folder; a zip without the wanted idx files is refused with exit 66.
@Suite struct EMNISTArchiveCommandTests {
    func convert(_ input: URL, _ output: URL, _ subset: String = "letters") throws -> ShardKitProcess.Result {
        try ShardKitProcess.run([
            "convert", "emnist", "--input", input.path, "--output", output.path, "--subset", subset,
            "--image-encoding", "raw", "--quiet",
        ])
    }

    /// The zip, and the folder holding it (the folder above `gzip/`, not unpacked), give the
    /// unpacked folder's records and shard bytes, for both sets in the zip; the manifest names
    /// the zip's SHA-256.
    @Test(arguments: ["letters", "digits"])
    func gzipZipAsShippedGivesTheFolderRecords(subset: String) throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-emnist-zip")
        defer { try? FileManager.default.removeItem(at: root) }
        let fromFolder = root.appendingPathComponent("folder")
        let folder = try convert(FixturePaths.fixture("emnist"), fromFolder, subset)
        #expect(folder.status == 0, "\(folder.standardError)")
        let zipPath = FixturePaths.fixture("archives/emnist/gzip.zip")
        for (name, input) in [("zip", zipPath), ("above", zipPath.deletingLastPathComponent())] {
            let output = root.appendingPathComponent(name)
            let zip = try convert(input, output, subset)
            #expect(zip.status == 0, "\(name): \(zip.standardError)")
            for split in ["train", "test"] {
                let a = try dumpedRecords(output, split: split)
                let b = try dumpedRecords(fromFolder, split: split)
                #expect(!a.isEmpty)
                #expect(a.map(\.label) == b.map(\.label), "\(name) \(split)")
                #expect(a.map(\.image) == b.map(\.image), "\(name) \(split)")
            }
            #expect(
                try ShardBytesTests.shardHashes(in: output) == (try ShardBytesTests.shardHashes(in: fromFolder)), "\(name)")
            let manifest = try String(contentsOf: output.appendingPathComponent("manifest.json"), encoding: .utf8)
            #expect(manifest.contains("\"input sha256: gzip.zip\" : \"\(try sha256sum(zipPath.path))\""), "\(manifest)")
        }
    }

    /// A zip that holds no idx files, or image files without their label files: exit 66 naming
    /// the zip (and what `--input` takes, or the file without its partner), nothing written.
    @Test func aZipWithoutTheWantedFilesIsRefused() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-emnist-zip")
        defer { try? FileManager.default.removeItem(at: root) }
        let other = FixturePaths.fixture("archives/hwdb/HWDB1.1tst_gnt.zip")
        let none = try convert(other, root.appendingPathComponent("none"))
        #expect(none.status == 66, "\(none.standardError)")
        #expect(none.standardError.contains("\(other.path): no idx files in HWDB1.1tst_gnt.zip"), "\(none.standardError)")
        #expect(none.standardError.contains("EMNIST's gzip.zip"), "\(none.standardError)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("none").path))

        let noLabels = FixturePaths.fixture("archives/broken/emnist-no-labels/gzip.zip")
        let half = try convert(noLabels, root.appendingPathComponent("half"))
        #expect(half.status == 66, "\(half.standardError)")
        #expect(
            half.standardError.contains(
                "\(noLabels.path)/gzip/emnist-letters-train-images-idx3-ubyte.gz: no label file beside this train image file"),
            "\(half.standardError)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("half").path))
    }
}
