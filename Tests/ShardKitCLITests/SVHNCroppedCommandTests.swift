import Foundation
import TestSupport
import Testing

/// `shardkit convert svhn-cropped` end to end through the binary: the fixture folder and single
/// files convert, the records read back (through `shardkit inspect`) carry the right labels and
/// 32×32 RGB PNGs, and every broken fixture exits 65 with one line naming its file.
@Suite struct SVHNCroppedCommandTests {
    static let fixtures = FixturePaths.fixture("svhn-cropped")

    /// The `expected.json` entry of one fixture file.
    func expected(_ file: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("expected.json"))
        let all = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return all[file] as! [String: Any]
    }

    /// Every record of one shard file, via `inspect --dump` as JSON: (label, image bytes).
    func records(_ shard: URL) throws -> [(label: Int, image: [UInt8])] {
        let dump = try ShardKitProcess.run(["inspect", shard.path, "--dump", "1000", "--bytes-preview", "0", "--quiet"])
        #expect(dump.status == 0, "\(dump.standardError)")
        return try dump.standardOutput.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let features = json["features"] as! [String: [String: Any]]
            let label = ((features["label"]!["int64"] as! [Any])[0] as! NSNumber).intValue
            // With --bytes-preview 0 a bytes value is its whole base64 text.
            let image = (features["image"]!["bytes"] as! [String])[0]
            return (label, [UInt8](Data(base64Encoded: image)!))
        }
    }

    /// Width, height, bit depth and colour type from a PNG's IHDR chunk.
    func pngHeader(_ png: [UInt8]) -> [Int] {
        guard png.count > 26, png[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return [] }
        let word = { (at: Int) in png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return [word(16), word(20), Int(png[24]), Int(png[25])]
    }

    func convert(_ input: URL, _ output: URL) throws -> ShardKitProcess.Result {
        try ShardKitProcess.run([
            "convert", "svhn-cropped", "--input", input.path, "--output", output.path, "--shards", "1", "--quiet",
            "--jobs", "2",
        ])
    }

    @Test func convertsTheFixtureFolderWithEverySplitAndLabel() throws {
        let output = try FixturePaths.makeScratchDirectory("shardkit-svhn-cropped-cli")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try convert(Self.fixtures, output)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.isEmpty)
        #expect(result.standardOutput.hasPrefix("converted svhn-cropped to \(output.path)"))
        for (split, count) in [("train", 40), ("test", 20), ("extra", 6)] {
            #expect(result.standardOutput.contains("  \(split): \(count) records in 1 shard, "))
            let got = try records(output.appendingPathComponent("svhn-cropped-\(split).tfrecord-00000-of-00001"))
            let want = try expected("\(split)_32x32.mat")
            #expect(got.map(\.label) == (want["digits"] as! [NSNumber]).map(\.intValue), "\(split)")
            #expect(got.allSatisfy { pngHeader($0.image) == [32, 32, 8, 2] })
        }
        let labels = try String(contentsOf: output.appendingPathComponent("label.labels.txt"), encoding: .utf8)
        #expect(labels == (0...9).map { "\($0)\n" }.joined())
        let verify = try ShardKitProcess.run(["verify", output.path, "--quiet"])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }

    /// One file as the input: the split comes from its name (`test_32x32.mat` → test), or is
    /// train for any other name.
    @Test(arguments: [("test_32x32.mat", "test_32x32.mat", "test"), ("test_32x32.mat", "digits.mat", "train")])
    func convertsASingleFile(fixture: String, name: String, split: String) throws {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-svhn-cropped-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(fixture), to: file)
        let output = directory.appendingPathComponent("out")
        let result = try convert(file, output)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("  \(split): 20 records in 1 shard, "))
        #expect(result.standardOutput.split(separator: "\n").filter { $0.contains(" records in ") }.count == 1)
        let got = try records(output.appendingPathComponent("svhn-cropped-\(split).tfrecord-00000-of-00001"))
        #expect(got.map(\.label) == (try expected(fixture)["digits"] as! [NSNumber]).map(\.intValue))
    }

    @Test func extraIsOptional() throws {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-svhn-cropped-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["train_32x32.mat", "test_32x32.mat"] {
            try FileManager.default.copyItem(
                at: Self.fixtures.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let result = try convert(directory, directory.appendingPathComponent("out"))
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("train: 40 records"))
        #expect(result.standardOutput.contains("test: 20 records"))
        #expect(!result.standardOutput.contains("extra"))
    }

    /// Workers that each write some of the 9 shards (3 per split), then `commit`: the bytes of
    /// one process. Workers past the first shard of a split skip to it without decoding.
    @Test(arguments: [2, 3, 5])
    func workersThenCommitGiveOneProcessBytes(workers: Int) throws {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-svhn-cropped-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = ["convert", "svhn-cropped", "--input", Self.fixtures.path, "--shards", "3", "--quiet"]
        let reference = directory.appendingPathComponent("one")
        let one = try ShardKitProcess.run(common + ["--output", reference.path])
        try #require(one.status == 0, "\(one.standardError)")
        let output = directory.appendingPathComponent("workers")
        for i in 0..<workers {
            let run = try ShardKitProcess.run(common + ["--output", output.path, "--worker", "\(i)/\(workers)"])
            #expect(run.status == 0, "worker \(i)/\(workers): \(run.standardError)")
        }
        let commit = try ShardKitProcess.run(["commit", output.path])
        #expect(commit.status == 0, "\(commit.standardError)")
        try ScaleOutTests.expectSameTree(reference, output)
    }

    static let brokenFiles = [
        "bad-header.mat", "truncated-x.mat", "wrong-dims.mat", "y-out-of-range.mat", "count-mismatch.mat",
        "missing-y.mat", "bad-compressed.mat", "cut-compressed.mat",
    ]

    /// Given directly, and as `test_32x32.mat` beside a good train file (so train is complete
    /// when test fails): exit 65, one line naming the file, nothing left in the output.
    @Test(arguments: brokenFiles)
    func brokenFileExitsSixtyFiveNamingIt(name: String) throws {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-svhn-cropped-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = FixturePaths.fixture("broken/svhn-cropped/" + name)
        try FileManager.default.copyItem(
            at: Self.fixtures.appendingPathComponent("train_32x32.mat"),
            to: directory.appendingPathComponent("train_32x32.mat"))
        try FileManager.default.copyItem(at: broken, to: directory.appendingPathComponent("test_32x32.mat"))
        for (input, shownName) in [(broken, name), (directory, "test_32x32.mat")] {
            let output = directory.appendingPathComponent("out")
            let result = try convert(input, output)
            #expect(result.status == 65, "\(name): \(result.standardError)")
            #expect(
                result.standardError.hasPrefix(
                    "shardkit: error: \(input == broken ? broken.path : input.path + "/test_32x32.mat"): "))
            #expect(result.standardError.contains(shownName))
            #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }

    @Test func inputWithoutMATFilesExitsSixtySix() throws {
        let empty = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = try convert(empty, empty.appendingPathComponent("out"))
        #expect(none.status == 66)
        #expect(none.standardError.contains("looked for train_32x32.mat, test_32x32.mat, extra_32x32.mat"))
        let notMAT = try convert(
            FixturePaths.fixture("mnist/t10k-images-idx3-ubyte"), empty.appendingPathComponent("out"))
        #expect(notMAT.status == 66)
        let missing = try convert(empty.appendingPathComponent("train_32x32.mat"), empty.appendingPathComponent("out"))
        #expect(missing.status == 66)
        // Other formats take a file only when it is theirs (an idx file, an archive as shipped).
        let file = try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture("cifar10/data_batch_1.bin").path, "--output",
            empty.appendingPathComponent("out").path,
        ])
        #expect(file.status == 66)
    }

    @Test func formatOneFileIsToldApart() throws {
        let output = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try convert(
            FixturePaths.fixture("svhn/test/digitStruct.mat"), output.appendingPathComponent("out"))
        #expect(result.status == 65)
        #expect(result.standardError.contains("MATLAB v7.3 (HDF5)"))
    }

    @Test func helpListsTheFormatWithAnExample() throws {
        let help = try ShardKitProcess.run(["convert", "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("shardkit convert svhn-cropped "))
        #expect(help.standardOutput.contains("train_32x32.mat"))
    }
}
