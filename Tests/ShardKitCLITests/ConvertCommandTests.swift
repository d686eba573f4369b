import Foundation
import TestSupport
import Testing

/// `shardkit convert` end to end through the binary: summaries, exit codes, and that a failed
/// run leaves no shard and no manifest behind.
@Suite struct ConvertCommandTests {
    /// A scratch input folder built from fixture files: (fixture path, name in the folder).
    func input(_ files: [(String, String)]) throws -> URL {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-convert-cli")
        for (fixture, name) in files {
            let target = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: FixturePaths.fixture(fixture), to: target)
        }
        return directory
    }

    /// Files in `output` that look like a dataset: shards, index files or a manifest.
    func datasetFiles(_ output: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        return names.filter { $0.contains(".tfrecord") || $0 == "manifest.json" || $0 == "dataset_info.json" }
    }

    @Test(arguments: ["mnist", "cifar10", "cifar100", "svhn", "hwdb"])
    func convertsEveryFixtureAndPrintsASummary(format: String) throws {
        let output = try FixturePaths.makeScratchDirectory("shardkit-convert-cli")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try ShardKitProcess.run([
            "convert", format, "--input", FixturePaths.fixture(format).path, "--output", output.path, "--shards", "2",
            "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("converted \(format) to \(output.path)"))
        #expect(result.standardOutput.contains("test: "))
        #expect(result.standardOutput.contains("total: "))
        #expect(result.standardError.isEmpty)
        #expect(datasetFiles(output).contains("manifest.json"))
        let verify = try ShardKitProcess.run(["verify", output.path, "--quiet"])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }

    @Test func progressLinesGoToStandardErrorWhenNotQuiet() throws {
        let output = try FixturePaths.makeScratchDirectory("shardkit-convert-cli")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture("digits").path, "--output", output.path,
        ])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("train: 2000 records in 1 shard, "))
        #expect(result.standardError.contains("convert mnist/train"))
    }

    /// Broken input → (files for the input folder, format, expected exit status, text in the error).
    static let brokenCases: [(String, [(String, String)], Int32, String)] = {
        var cases: [(String, [(String, String)], Int32, String)] = []
        let goodTest = [
            ("mnist/t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte"),
            ("mnist/t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"),
        ]
        for broken in [
            "bad-magic-images-idx3-ubyte", "bad-type-images-idx3-ubyte", "bad-dims-images-idx3-ubyte",
            "header-cut-images-idx3-ubyte", "short-payload-images-idx3-ubyte", "trailing-images-idx3-ubyte",
            "truncated-images-idx3-ubyte", "cut-images-idx3-ubyte.gz", "bad-crc-images-idx3-ubyte.gz",
        ] {
            let name = broken.hasSuffix(".gz") ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte"
            cases.append(
                (
                    "mnist",
                    goodTest + [
                        ("broken/mnist/\(broken)", name), ("mnist/train-labels-idx1-ubyte", "train-labels-idx1-ubyte"),
                    ],
                    65, name
                ))
        }
        cases.append(
            (
                "mnist",
                goodTest + [
                    ("mnist/train-images-idx3-ubyte", "train-images-idx3-ubyte"),
                    ("broken/mnist/count19-labels-idx1-ubyte", "train-labels-idx1-ubyte"),
                ], 65, "label count"
            ))
        // Mid-way: train is complete when test turns out broken.
        cases.append(
            (
                "cifar10",
                [("cifar10/data_batch_1.bin", "data_batch_1.bin"), ("broken/cifar10/short.bin", "test_batch.bin")], 65,
                "test_batch.bin"
            ))
        cases.append(
            (
                "cifar10",
                [("cifar10/data_batch_1.bin", "data_batch_1.bin"), ("broken/cifar10/bad-label.bin", "test_batch.bin")],
                65, "record 3"
            ))
        cases.append(
            (
                "cifar100", [("cifar100/train.bin", "train.bin"), ("broken/cifar100/bad-coarse.bin", "test.bin")], 65,
                "coarse label"
            ))
        for broken in ["bad-size.gnt", "truncated.gnt", "zero-width.gnt"] {
            cases.append(
                (
                    "hwdb",
                    [("hwdb/train/1001-c.gnt", "train/1001-c.gnt"), ("broken/hwdb/\(broken)", "test/\(broken)")], 65,
                    broken
                ))
        }
        cases.append(
            (
                "svhn",
                [
                    ("svhn/test/1.png", "test/1.png"), ("svhn/test/2.png", "test/2.png"),
                    ("svhn/test/digitStruct.mat", "test/digitStruct.mat"),
                    ("broken/svhn/no-digitstruct/digitStruct.mat", "train/digitStruct.mat"),
                ], 65, "digitStruct.mat"
            ))
        // A PNG that does not decode: found on an encoding worker, reported like a reader error.
        cases.append(
            (
                "svhn",
                [
                    ("imaging/codec/truncated.png", "test/1.png"), ("svhn/test/2.png", "test/2.png"),
                    ("svhn/test/digitStruct.mat", "test/digitStruct.mat"),
                ], 65, "1.png: record 0: PNG does not decode"
            ))
        cases.append(
            (
                "svhn",
                [
                    ("broken/svhn/missing-png/1.png", "train/1.png"),
                    ("broken/svhn/missing-png/digitStruct.mat", "train/digitStruct.mat"),
                ], 66, "7.png"
            ))
        return cases
    }()

    @Test(arguments: 0..<brokenCases.count)
    func brokenInputFailsWithItsExitCodeAndLeavesNoDataset(caseIndex: Int) throws {
        let (format, files, status, text) = Self.brokenCases[caseIndex]
        let directory = try input(files)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        let result = try ShardKitProcess.run([
            "convert", format, "--input", directory.path, "--output", output.path, "--jobs", "2", "--quiet",
        ])
        #expect(result.status == status, "\(format) \(files.last!.0): \(result.standardError)")
        #expect(result.standardError.hasPrefix("shardkit: error: "))
        #expect(result.standardError.contains(text), "\(result.standardError)")
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(datasetFiles(output) == [])
        let hidden = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        #expect(hidden.isEmpty, "left behind: \(hidden)")
    }

    @Test func skipMissingCountsTheMissingImage() throws {
        let directory = try input([
            ("broken/svhn/missing-png/1.png", "train/1.png"),
            ("broken/svhn/missing-png/digitStruct.mat", "train/digitStruct.mat"),
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try ShardKitProcess.run([
            "convert", "svhn", "--input", directory.path, "--output", directory.appendingPathComponent("out").path,
            "--skip-missing", "--shards", "1", "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("skipped 1: image file missing"))
    }

    @Test func missingInputDirectoryExitsSixtySix() throws {
        let result = try ShardKitProcess.run([
            "convert", "cifar10", "--input", "/nonexistent/cifar", "--output", "/tmp/unused",
        ])
        #expect(result.status == 66)
        #expect(result.standardError == "shardkit: error: /nonexistent/cifar: no such file or directory\n")
        let empty = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = try ShardKitProcess.run(["convert", "mnist", "--input", empty.path, "--output", empty.path + "/out"])
        #expect(none.status == 66)
    }

    @Test(arguments: [
        ["convert", "mnist", "--input", "x", "--output", "y", "--shards", "2", "--shard-size", "10"],
        ["convert", "mnist", "--input", "x", "--output", "y", "--skip-missing"],
        ["convert", "cifar10", "--input", "x", "--output", "y", "--size", "32"],
        ["convert", "svhn", "--input", "x", "--output", "y", "--validation-fraction", "1"],
        ["convert", "svhn", "--input", "x", "--output", "y", "--validation-fraction", "-0.1"],
        ["convert", "hwdb", "--input", "x", "--output", "y", "--include-extra"],
        ["convert", "mnist", "--input", "x", "--output", "y", "--image-encoding", "webp"],
        ["convert", "mnist", "--input", "x", "--output", "y", "--jobs", "0"],
        ["convert", "mnist", "--input", "x", "--output", "y", "--shards", "0"],
        ["convert", "no-such-format", "--input", "x", "--output", "y"],
        ["convert", "mnist", "--input", "x"],
    ])
    func usageErrorsExitSixtyFour(arguments: [String]) throws {
        #expect(try ShardKitProcess.run(arguments).status == 64)
    }

    @Test func helpShowsAnExamplePerFormat() throws {
        let help = try ShardKitProcess.run(["convert", "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("Example"))
        for format in ["mnist", "cifar10", "cifar100", "svhn", "hwdb", "svhn-cropped", "emnist", "folder"] {
            #expect(help.standardOutput.contains("shardkit convert \(format) "))
        }
    }

    /// Every word `convert` takes, in the order the help lists them (from the recipe registry).
    static let formats = [
        "mnist", "fashion-mnist", "kmnist", "emnist", "cifar10", "cifar100", "svhn", "hwdb", "svhn-cropped", "folder",
    ]

    /// The help's abstract, `--input` table and the words the argument takes are generated from
    /// the registry: every format is in each, and the table's rows are the recipes' own.
    @Test func helpListsEveryFormatInTheAbstractTableAndValues() throws {
        let help = try ShardKitProcess.run(["convert", "--help"], environment: ["COLUMNS": "1000"])
        #expect(help.status == 0)
        let text = help.standardOutput
        #expect(text.contains("Convert a raw dataset (\(Self.formats.joined(separator: ", "))) to TFRecord shards."))
        #expect(text.contains("(values: \(Self.formats.joined(separator: ", ")))"))
        for row in [
            "  mnist     *-idx3-ubyte[.gz] + *-idx1-ubyte[.gz]: their folder, or one of them",
            "  fashion-mnist, kmnist  as mnist",
            "  svhn-cropped  train_32x32.mat, test_32x32.mat [, extra_32x32.mat]",
            "  folder    <class>/*.png|jpg [in train/, validation/ or val/, test/]",
        ] {
            #expect(text.contains(row + "\n"), "\(row)")
        }
        #expect(text.contains("(default: png; raw for svhn)"))
        #expect(text.contains("(default: svhn 0.1, folder 0)"))
        #expect(text.contains("hwdb: the character dictionary is written as characters.json; HWDB1.1trn_gnt.zip"))
    }

    /// An unknown word is a usage error (64) that lists every format.
    @Test func anUnknownFormatListsTheFormats() throws {
        let result = try ShardKitProcess.run(["convert", "mnits", "--input", "x", "--output", "y"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("The value 'mnits' is invalid for '<format>'"))
        let listed = result.standardError.split(separator: "\n").filter { $0.hasPrefix("  - ") }.map { $0.dropFirst(4) }
        #expect(listed.map(String.init) == Self.formats)
    }

    /// A format-specific option given to another format is refused (64), naming the formats
    /// that take it, as the recipes declare them.
    @Test(arguments: [
        (["svhn-cropped", "--include-extra"], "--include-extra applies to svhn only, not svhn-cropped"),
        (["kmnist", "--dictionary", "d.json"], "--dictionary applies to hwdb only, not kmnist"),
        (["svhn", "--skip-corrupt"], "--skip-corrupt applies to folder only, not svhn"),
        (["cifar100", "--transpose"], "--transpose applies to mnist, fashion-mnist, kmnist, emnist only, not cifar100"),
        (["hwdb", "--validation-fraction", "0.2"], "--validation-fraction applies to svhn, folder only, not hwdb"),
    ])
    func aFormatSpecificOptionElsewhereExitsSixtyFour(arguments: [String], message: String) throws {
        let result = try ShardKitProcess.run(["convert", arguments[0], "--input", "x", "--output", "y"] + arguments.dropFirst())
        #expect(result.status == 64)
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }
}

@Suite struct ConvertAugmentCommandTests {
    @Test(arguments: [["--copies", "2"], ["--augment", "crop=fifty"], ["--augment", "crop=24", "--copies", "0"]])
    func badAugmentOptionsExitSixtyFour(extra: [String]) throws {
        let output = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try ShardKitProcess.run(
            ["convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--output",
             output.appendingPathComponent("out").path] + extra)
        #expect(result.status == 64)
    }
}
