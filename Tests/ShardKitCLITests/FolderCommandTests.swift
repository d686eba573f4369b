import Foundation
import TestSupport
import Testing

/// One record of a converted dataset as `shardkit inspect --dump` shows it.
struct DumpedRecord {
    var label: Int
    var filename: String?
    var image: [UInt8]
}

/// Every record of `split` in `directory` (its shards in order), through `inspect --dump`.
func dumpedRecords(_ directory: URL, split: String, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> [DumpedRecord]
{
    let shards = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.contains("-\(split).tfrecord-") && !$0.hasSuffix(".index") }.sorted()
    var records: [DumpedRecord] = []
    for shard in shards {
        let dump = try ShardKitProcess.run([
            "inspect", directory.appendingPathComponent(shard).path, "--dump", "100000", "--bytes-preview", "0",
            "--quiet",
        ])
        #expect(dump.status == 0, "\(dump.standardError)", sourceLocation: sourceLocation)
        for line in dump.standardOutput.split(separator: "\n") where line.hasPrefix("{") {
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let features = json["features"] as! [String: [String: Any]]
            let label = ((features["label"]!["int64"] as! [Any])[0] as! NSNumber).intValue
            let filename = (features["filename"]?["text"] as? [String])?.first
            let image = (features["image"]!["bytes"] as! [String])[0]
            records.append(DumpedRecord(label: label, filename: filename, image: [UInt8](Data(base64Encoded: image)!)))
        }
    }
    return records
}

/// Width, height, bit depth and colour type from a PNG's IHDR chunk (empty if not a PNG).
func pngIHDR(_ png: [UInt8]) -> [Int] {
    guard png.count > 26, png.starts(with: [0x89, 0x50, 0x4E, 0x47]) else { return [] }
    let word = { (at: Int) in png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return [word(16), word(20), Int(png[24]), Int(png[25])]
}

/// `shardkit convert folder` end to end: class names (Chinese too) in label.labels.txt and the
/// records, bytes that depend neither on `--jobs` nor on the order files were created in,
/// unreadable files (exit 65 naming the file, or left out and listed with `--skip-corrupt`),
/// split folders and `--validation-fraction`, `--size`/`--channels`/encodings, workers plus
/// commit equal to one process, and training on the result.
@Suite struct FolderCommandTests {
    static let fixture = FixturePaths.fixture("folder")

    /// (relative path, label, channels, width, height, format) of every fixture image.
    static func expectedFiles() throws -> [(
        path: String, label: Int, channels: Int, width: Int, height: Int, format: String
    )] {
        let data = try Data(contentsOf: fixture.appendingPathComponent("expected.json"))
        let files = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["files"] as! [[String: Any]]
        return files.map {
            (
                $0["path"] as! String, ($0["label"] as! NSNumber).intValue, ($0["channels"] as! NSNumber).intValue,
                ($0["width"] as! NSNumber).intValue, ($0["height"] as! NSNumber).intValue, $0["format"] as! String
            )
        }.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    func convert(_ input: URL, _ output: URL, _ extra: [String] = []) throws -> ShardKitProcess.Result {
        try ShardKitProcess.run(["convert", "folder", "--input", input.path, "--output", output.path] + extra)
    }

    func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func metadata(_ output: URL) throws -> [String: String] {
        try json(output.appendingPathComponent("manifest.json"))["metadata"] as! [String: String]
    }

    func imageDimensions(_ output: URL) throws -> [String] {
        let features = (try json(output.appendingPathComponent("features.json"))["featuresDict"] as! [String: Any])[
            "features"]
        let image = ((features as! [String: Any])["image"] as! [String: Any])["image"] as! [String: Any]
        return (image["shape"] as! [String: Any])["dimensions"] as! [String]
    }

    @Test func convertsTheFixtureWithClassNamesFilenamesAndImages() throws {
        let output = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try convert(Self.fixture, output, ["--jobs", "2"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("  train: 14 records in 1 shard, "), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("  test: 6 records in 1 shard, "))
        #expect(result.standardOutput.contains("  skipped 2: not in a class folder"))  // README.txt, expected.json
        #expect(result.standardOutput.contains("  skipped 1: not named .png, .jpg or .jpeg"))
        let labels = try String(contentsOf: output.appendingPathComponent("label.labels.txt"), encoding: .utf8)
        #expect(labels == "circle\nsquare\n三角\n")
        #expect(try imageDimensions(output) == ["-1", "-1", "1"])
        let meta = try metadata(output)
        #expect(meta["classes"] == "3")
        #expect(meta["channels_from"] == "the first image, train/circle/00-l.png")
        #expect(meta["layout"] == "split folders")
        let expected = try Self.expectedFiles()
        for split in ["train", "test"] {
            let records = try dumpedRecords(output, split: split)
            let want = expected.filter { $0.path.hasPrefix(split + "/") }
            #expect(records.map(\.filename) == want.map(\.path))
            #expect(records.map(\.label) == want.map(\.label))
            for (record, file) in zip(records, want) {
                // Every image becomes a gray PNG of its own size; plain gray PNGs keep their bytes.
                #expect(pngIHDR(record.image) == [file.width, file.height, 8, 0], "\(file.path)")
                let original = try readBytes(Self.fixture.path + "/" + file.path)
                let plainGrayPNG = file.format == "png" && file.channels == 1
                #expect((record.image == original) == plainGrayPNG, "\(file.path)")
                // The Chinese class name round trip: folder 三角 → label 2 → line 3 of label.labels.txt.
                #expect((record.label == 2) == file.path.contains("/三角/"))
            }
        }
        let histogram = try ShardKitProcess.run(["inspect", output.path, "--histogram", "label", "--quiet"])
        #expect(histogram.status == 0)
        #expect(histogram.standardOutput.contains("三角"), "\(histogram.standardOutput)")
        let verify = try ShardKitProcess.run(["verify", output.path, "--quiet"])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }

    /// The same files created in opposite orders, converted with one and two jobs: the same bytes.
    @Test func bytesDoNotDependOnJobsOrCreationOrder() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let files = try Self.expectedFiles().map(\.path)
        for (copy, order) in [("one", files), ("two", files.reversed())] {
            for path in order {
                let target = root.appendingPathComponent("\(copy)/data/\(path)")
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: Self.fixture.appendingPathComponent(path), to: target)
            }
        }
        let one = try convert(
            root.appendingPathComponent("one/data"), root.appendingPathComponent("one/out"), ["--jobs", "1"])
        let two = try convert(
            root.appendingPathComponent("two/data"), root.appendingPathComponent("two/out"), ["--jobs", "2"])
        #expect(one.status == 0 && two.status == 0, "\(one.standardError) \(two.standardError)")
        try ScaleOutTests.expectSameTree(root.appendingPathComponent("one/out"), root.appendingPathComponent("two/out"))
        let shards = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("one/out").path)
        #expect(shards.contains("folder-train.tfrecord-00000-of-00001"))
    }

    /// An unreadable image fails the run with 65 and one line naming it, whether it is the first
    /// image (read while planning, for the channel count) or a later one (read by a worker).
    @Test func anUnreadableImageExitsSixtyFiveNamingIt() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let broken = FixturePaths.fixture("broken/folder")
        for (extra, named) in [
            ([], "a/cut.png: not a readable image"),
            (["--channels", "1"], "a/cut.png: record 0: not a readable image"),
        ] {
            let output = root.appendingPathComponent("out")
            let result = try convert(broken, output, extra + ["--quiet"])
            #expect(result.status == 65, "\(result.standardError)")
            #expect(
                result.standardError.hasPrefix("shardkit: error: \(broken.path)/\(named): PNG"),
                "\(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).isEmpty)
        }
        // Without the cut file, the empty one is record 2 of train (a/ok-0, a/ok-1, b/empty, …).
        let copy = root.appendingPathComponent("copy")
        try FileManager.default.copyItem(at: broken, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("a/cut.png"))
        let result = try convert(copy, root.appendingPathComponent("out2"), ["--quiet", "--jobs", "2"])
        #expect(result.status == 65)
        #expect(
            result.standardError.hasPrefix("shardkit: error: \(copy.path)/b/empty.png: record 2: not a readable image"),
            "\(result.standardError)")
    }

    @Test func skipCorruptLeavesOutCountsAndListsThem() throws {
        let output = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: output) }
        let broken = FixturePaths.fixture("broken/folder")
        let result = try convert(broken, output, ["--skip-corrupt"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("  train: 4 records"))
        #expect(result.standardOutput.contains("  skipped 2: not a readable image (--skip-corrupt)"))
        #expect(result.standardError.contains("leaving out 2 unreadable images"), "\(result.standardError)")
        let meta = try metadata(output)
        #expect(meta["unreadable_files"] == #"["a/cut.png", "b/empty.png"]"#)
        #expect(meta["skipped: not a readable image (--skip-corrupt)"] == "2")
        let records = try dumpedRecords(output, split: "train")
        #expect(records.compactMap(\.filename) == ["a/ok-0.png", "a/ok-1.png", "b/ok-2.jpg", "b/ok-3.png"])
        #expect(records.map(\.label) == [0, 0, 1, 1])
        // Nothing unreadable: the list is there, empty.
        let clean = output.appendingPathComponent("clean")
        #expect(try convert(Self.fixture, clean, ["--skip-corrupt", "--quiet"]).status == 0)
        #expect(try metadata(clean)["unreadable_files"] == "[]")
    }

    @Test func valFolderIsTheValidationSplit() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Self.fixture.appendingPathComponent("train"), to: data.appendingPathComponent("train"))
        try FileManager.default.copyItem(
            at: Self.fixture.appendingPathComponent("test"), to: data.appendingPathComponent("val"))
        let output = root.appendingPathComponent("out")
        let result = try convert(data, output, ["--quiet"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("  validation: 6 records"))
        #expect(
            try dumpedRecords(output, split: "validation").compactMap(\.filename).allSatisfy { $0.hasPrefix("val/") })
        // A validation folder already divides the data.
        let twice = try convert(data, root.appendingPathComponent("out2"), ["--validation-fraction", "0.2"])
        #expect(twice.status == 64, "\(twice.standardError)")
        #expect(twice.standardError.contains("validation folder"))
    }

    /// `--validation-fraction` routes each file by (seed, relative path): the same division for
    /// any `--jobs`, another one for another seed, every file in exactly one split.
    @Test func validationFractionIsSeededPerFile() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = Self.fixture.appendingPathComponent("train")
        var divisions: [[String]] = []
        for (name, extra) in [
            ("a", ["--seed", "3", "--jobs", "1"]), ("b", ["--seed", "3", "--jobs", "2"]), ("c", ["--seed", "4"]),
        ] {
            let output = root.appendingPathComponent(name)
            let result = try convert(input, output, extra + ["--validation-fraction", "0.5", "--quiet"])
            #expect(result.status == 0, "\(result.standardError)")
            let train = try dumpedRecords(output, split: "train").compactMap(\.filename)
            let validation = try dumpedRecords(output, split: "validation").compactMap(\.filename)
            #expect(!train.isEmpty && !validation.isEmpty)
            #expect(
                (train + validation).sorted()
                    == (try Self.expectedFiles()).filter { $0.path.hasPrefix("train/") }.map {
                        String($0.path.dropFirst(6))
                    }.sorted())
            #expect(try metadata(output)["validation_fraction"] == "0.5")
            divisions.append(validation)
        }
        try ScaleOutTests.expectSameTree(root.appendingPathComponent("a"), root.appendingPathComponent("b"))
        #expect(divisions[0] == divisions[1])
        #expect(divisions[0] != divisions[2])
    }

    @Test func sizeChannelsAndEncodings() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        // --size and --channels: every image resized and made RGB.
        let rgb = root.appendingPathComponent("rgb")
        #expect(try convert(Self.fixture, rgb, ["--size", "16", "--channels", "3", "--quiet"]).status == 0)
        #expect(try imageDimensions(rgb) == ["16", "16", "3"])
        #expect(try dumpedRecords(rgb, split: "train").allSatisfy { pngIHDR($0.image) == [16, 16, 8, 2] })
        // JPEG output keeps gray JPEG files as they are and encodes the rest as JPEG.
        let jpeg = root.appendingPathComponent("jpeg")
        #expect(try convert(Self.fixture, jpeg, ["--image-encoding", "jpeg", "--quiet"]).status == 0)
        let records = try dumpedRecords(jpeg, split: "train")
        #expect(records.allSatisfy { $0.image.starts(with: [0xFF, 0xD8, 0xFF]) })
        for record in records {
            let original = try readBytes(Self.fixture.path + "/" + record.filename!)
            #expect((record.image == original) == record.filename!.hasSuffix("-l.jpg"), "\(record.filename!)")
        }
        // Raw pixels need a size.
        let raw = try convert(Self.fixture, root.appendingPathComponent("raw"), ["--image-encoding", "raw"])
        #expect(raw.status == 64)
        #expect(raw.standardError.contains("--image-encoding raw needs --size"), "\(raw.standardError)")
        let sized = root.appendingPathComponent("raw8")
        #expect(try convert(Self.fixture, sized, ["--image-encoding", "raw", "--size", "8", "--quiet"]).status == 0)
        #expect(try dumpedRecords(sized, split: "test").allSatisfy { $0.image.count == 64 })
        // An augmentation changes every image: no original bytes.
        let augmented = root.appendingPathComponent("augmented")
        #expect(try convert(Self.fixture, augmented, ["--augment", "brightness=0.3", "--quiet"]).status == 0)
        let first = try dumpedRecords(augmented, split: "train")[0]
        #expect(first.filename == "train/circle/00-l.png")
        #expect(first.image != (try readBytes(Self.fixture.path + "/train/circle/00-l.png")))
    }

    @Test func usageAndInputErrors() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out").path
        for (arguments, status, message) in [
            (
                ["convert", "folder", "-i", Self.fixture.path, "-o", out, "--channels", "2"], Int32(64),
                "--channels must be 1 or 3"
            ),
            (
                ["convert", "mnist", "-i", FixturePaths.fixture("mnist").path, "-o", out, "--skip-corrupt"], 64,
                "--skip-corrupt applies to folder only"
            ),
            (
                ["convert", "cifar10", "-i", FixturePaths.fixture("cifar10").path, "-o", out, "--size", "8"], 64,
                "--size applies to hwdb, folder only"
            ),
            (
                ["convert", "folder", "-i", Self.fixture.path, "-o", out, "--transpose"], 64,
                "--transpose applies to mnist"
            ),
            (["convert", "folder", "-i", FixturePaths.fixture("mnist").path, "-o", out], 66, "no class folders"),
            (
                ["convert", "folder", "-i", root.appendingPathComponent("none").path, "-o", out], 66,
                "no such directory"
            ),
        ] {
            let result = try ShardKitProcess.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        }
    }

    /// Workers, each writing some of the shards, then `commit`: one process's bytes — for split
    /// folders (each pass skips to its first shard), for a routed train+validation pass (which
    /// cannot skip), and for `--skip-corrupt` (every worker lists the same unreadable files).
    @Test(arguments: [2, 3])
    func workersThenCommitGiveOneProcessBytes(workers: Int) throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let cases: [(URL, [String])] = [
            (Self.fixture, ["--shards", "3"]),
            (
                Self.fixture.appendingPathComponent("train"),
                ["--shards", "2", "--validation-fraction", "0.4", "--seed", "5"]
            ),
            (FixturePaths.fixture("broken/folder"), ["--shards", "2", "--skip-corrupt"]),
        ]
        for (n, (input, extra)) in cases.enumerated() {
            let reference = root.appendingPathComponent("one-\(n)")
            let one = try convert(input, reference, extra + ["--quiet"])
            try #require(one.status == 0, "\(one.standardError)")
            let output = root.appendingPathComponent("workers-\(n)")
            for i in 0..<workers {
                let run = try convert(input, output, extra + ["--quiet", "--worker", "\(i)/\(workers)"])
                #expect(run.status == 0, "worker \(i)/\(workers): \(run.standardError)")
            }
            let commit = try ShardKitProcess.run(["commit", output.path])
            #expect(commit.status == 0, "\(commit.standardError)")
            try ScaleOutTests.expectSameTree(reference, output)
        }
    }

    /// The trainer's `classifier` (and `hwdb`) take a folder dataset's class count and channels,
    /// whatever its image sizes.
    @Test func trainsOnAFolderDataset() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-folder-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        for (model, extra) in [("classifier", ["--channels", "3"]), ("hwdb", ["--size", "24"])] {
            let data = root.appendingPathComponent("data-\(model)")
            #expect(try convert(Self.fixture, data, extra + ["--quiet"]).status == 0)
            let checkpoints = root.appendingPathComponent("ckpt-\(model)").path
            let train = try ShardKitProcess.run([
                "train", "--data", data.path, "--model", model, "--steps", "2", "--batch", "4", "--checkpoint-dir",
                checkpoints, "--quiet",
            ])
            #expect(train.status == 0, "\(train.standardError)")
            #expect(train.standardOutput.hasPrefix("trained \(model) for 2 steps"), "\(train.standardOutput)")
            let predict = try ShardKitProcess.run([
                "predict", "--checkpoint", checkpoints + "/latest.safetensors",
                Self.fixture.path + "/test/三角/00-rgb.jpg",
            ])
            #expect(predict.status == 0, "\(predict.standardError)")
            #expect(predict.standardOutput.range(of: #"00-rgb\.jpg: [0-2] \(p="#, options: .regularExpression) != nil)
        }
    }
}
