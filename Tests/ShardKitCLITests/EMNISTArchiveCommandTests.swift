import Foundation
import TestSupport
import Testing

/// EMNIST as NIST ships it: one `gzip.zip` whose `gzip/` folder holds every set's gzipped idx
/// files and mapping files (fixture `Fixtures/archives/emnist/gzip.zip`, made by
/// Fixtures/generate.py from `Fixtures/emnist/`, letters and digits).
///
/// `convert emnist --input gzip.zip` should give the records the unpacked folder gives. It does
/// not yet: the idx input search takes a folder or an idx file only, so the zip is refused as
/// "not an idx file" (exit 66), and formats/archives.md says the zip must be unpacked. The
/// comparison is kept under `withKnownIssue`, which fails as soon as the zip is read, so that
/// whoever adds it removes the wrapper; the refusal itself is pinned below.
@Suite struct EMNISTArchiveCommandTests {
    func convert(_ input: URL, _ output: URL) throws -> ShardKitProcess.Result {
        try ShardKitProcess.run([
            "convert", "emnist", "--input", input.path, "--output", output.path, "--subset", "letters",
            "--image-encoding", "raw", "--quiet",
        ])
    }

    @Test func gzipZipAsShippedGivesTheFolderRecords() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-emnist-zip")
        defer { try? FileManager.default.removeItem(at: root) }
        let fromFolder = root.appendingPathComponent("folder")
        let folder = try convert(FixturePaths.fixture("emnist"), fromFolder)
        #expect(folder.status == 0, "\(folder.standardError)")
        let folderTrain = try dumpedRecords(fromFolder, split: "train")
        #expect(folderTrain.count == 10)

        let fromZip = root.appendingPathComponent("zip")
        let zip = try convert(FixturePaths.fixture("archives/emnist/gzip.zip"), fromZip)
        withKnownIssue("convert emnist does not read EMNIST's gzip.zip yet; it must be unpacked first") {
            #expect(zip.status == 0, "\(zip.standardError)")
            for split in ["train", "test"] {
                let a = try dumpedRecords(fromZip, split: split)
                let b = try dumpedRecords(fromFolder, split: split)
                #expect(a.map(\.label) == b.map(\.label) && a.map(\.image) == b.map(\.image))
                #expect(!a.isEmpty)
            }
        }
    }

    /// Today's answer to the zip: exit 66, naming the file and what `--input` takes.
    @Test func gzipZipIsRefusedWithWhatInputTakes() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-emnist-zip")
        defer { try? FileManager.default.removeItem(at: root) }
        let zip = FixturePaths.fixture("archives/emnist/gzip.zip")
        let result = try convert(zip, root.appendingPathComponent("out"))
        #expect(result.status == 66, "\(result.standardError)")
        #expect(result.standardError.contains("\(zip.path): not an idx file"), "\(result.standardError)")
        #expect(result.standardError.contains("the folder of idx files"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out/manifest.json").path))
    }
}
