import Foundation
import TestSupport
import Testing

/// `convert --input` as people download the datasets, through the binary: the archive as
/// shipped, the folder it unpacks to and the folder above give the shards of the extracted
/// folder, byte for byte (and workers give one process's bytes); damaged archives and ALZip fail
/// with their exit codes and one line; refusals list what was looked for; input SHA-256s land in
/// the manifest and published checksums are checked.
@Suite struct ArchiveInputTests {
    static let archives = FixturePaths.fixture("archives")

    /// A scratch folder holding `files`: (fixture path, path in the folder).
    static func scratch(_ files: [(String, String)]) throws -> URL {
        try ConvertCommandTests().input(files)
    }

    /// Runs `convert format --input input --output output … --quiet`.
    static func convert(_ format: String, _ input: URL, _ output: URL, _ extra: [String] = []) throws
        -> ShardKitProcess.Result
    {
        try ShardKitProcess.run(["convert", format, "--input", input.path, "--output", output.path, "--quiet"] + extra)
    }

    /// The manifest's `metadata` object.
    static func metadata(_ output: URL) throws -> [String: String] {
        let data = try Data(contentsOf: output.appendingPathComponent("manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(manifest["metadata"] as? [String: String])
    }

    /// The forms of each format's input that must give the reference folder's shards: (name,
    /// fixture files to copy into a scratch folder, the `--input` below that folder or below
    /// Fixtures/archives when no files are copied).
    static let forms:
        [(format: String, reference: String, extra: [String], form: String, files: [(String, String)], input: String)] =
            {
                let c10 = ["batches.meta.txt", "data_batch_1.bin", "test_batch.bin"].map {
                    ("cifar10/" + $0, "cifar-10-batches-bin/" + $0)
                }
                let c100 = ["coarse_label_names.txt", "fine_label_names.txt", "train.bin", "test.bin"].map {
                    ("cifar100/" + $0, "cifar-100-binary/" + $0)
                }
                let svhnTest = ["digitStruct.mat", "1.png", "2.png"].map { ("svhn/test/" + $0, "test/" + $0) }
                let gnt = [
                    ("hwdb/train/1001-c.gnt", "HWDB1.0trn_gnt/1001-c.gnt"),
                    ("hwdb/train/1002-c.gnt", "HWDB1.0trn_gnt/1002-c.gnt"),
                    ("hwdb/test/1241-c.gnt", "HWDB1.1tst_gnt/1241-c.gnt"),
                ]
                let idx = [
                    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                    "t10k-labels-idx1-ubyte",
                ].map { ("mnist/" + $0, "mnist/" + $0) }
                return [
                    ("mnist", "mnist", [], "the folder above", idx, "."),
                    ("mnist", "mnist", [], "one of the files", idx, "mnist/t10k-labels-idx1-ubyte"),
                    ("cifar10", "cifar10", [], "the archive", [], "cifar-10-binary.tar.gz"),
                    ("cifar10", "cifar10", [], "the folder above the archive", [], "."),
                    ("cifar10", "cifar10", [], "the extracted folder", c10, "cifar-10-batches-bin"),
                    ("cifar10", "cifar10", [], "the folder above the extracted folder", c10, "."),
                    ("cifar100", "cifar100", [], "the archive", [], "cifar-100-binary.tar.gz"),
                    ("cifar100", "cifar100", [], "the folder above the archive", [], "."),
                    ("cifar100", "cifar100", [], "the folder above the extracted folder", c100, "."),
                    ("svhn", "svhn", ["--seed", "3"], "the folder above the archives", [], "svhn"),
                    (
                        "svhn", "svhn", ["--seed", "3"], "an archive and an extracted folder",
                        [("archives/svhn/train.tar.gz", "train.tar.gz")] + svhnTest, "."
                    ),
                    ("svhn", "svhn/train", ["--seed", "3"], "one archive", [], "svhn/train.tar.gz"),
                    ("hwdb", "hwdb", [], "the folder above the zips", [], "hwdb"),
                    ("hwdb", "hwdb", [], "the folder above the extracted folders", gnt, "."),
                    (
                        "hwdb", "hwdb", [], "a zip beside an extracted folder",
                        Array(gnt.prefix(2)) + [("archives/hwdb/HWDB1.1tst_gnt.zip", "HWDB1.1tst_gnt.zip")], "."
                    ),
                    ("hwdb", "hwdb/train", [], "one zip", [], "hwdb/HWDB1.0trn_gnt.zip"),
                ]
            }()

    @Test(arguments: forms.indices)
    func everyFormGivesTheExtractedFoldersShards(index: Int) throws {
        let form = Self.forms[index]
        let directory = try FixturePaths.makeScratchDirectory("shardkit-archive-input")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("reference")
        let one = try Self.convert(
            form.format, FixturePaths.fixture(form.reference), reference, ["--shards", "2"] + form.extra)
        try #require(one.status == 0, "\(one.standardError)")
        var root = Self.archives
        if !form.files.isEmpty {
            root = try Self.scratch(form.files)
        }
        defer { if !form.files.isEmpty { try? FileManager.default.removeItem(at: root) } }
        let input = form.input == "." ? root : root.appendingPathComponent(form.input)
        let output = directory.appendingPathComponent("converted")
        let run = try Self.convert(form.format, input, output, ["--shards", "2"] + form.extra)
        #expect(run.status == 0, "\(form.form): \(run.standardError)")
        let shards = try ShardBytesTests.shardHashes(in: output)
        #expect(shards.count >= 2, "\(form.form)")
        #expect(shards == (try ShardBytesTests.shardHashes(in: reference)), "\(form.form): shard bytes differ")
        // The side files agree too; the manifest's metadata differs only by the input lines.
        for side in ["features.json", "dataset_info.json"] {
            #expect(
                try Data(contentsOf: output.appendingPathComponent(side))
                    == (try Data(contentsOf: reference.appendingPathComponent(side))), "\(form.form): \(side)")
        }
        let (got, want) = (try Self.metadata(output), try Self.metadata(reference))
        #expect(got.filter { !$0.key.hasPrefix("input ") } == want.filter { !$0.key.hasPrefix("input ") })
        // Every input line is the SHA-256 of the file it names, relative to --input.
        let inputs = got.filter { $0.key.hasPrefix("input sha256: ") }
        #expect(!inputs.isEmpty)
        // Names are relative to --input, or a file's own name when --input is a file.
        let base = FileManager.default.isFolder(input) ? input : input.deletingLastPathComponent()
        for (key, value) in inputs {
            let name = String(key.dropFirst("input sha256: ".count))
            if name.hasSuffix("*.png") { continue }  // a folder's PNGs: the SHA-256 of their listing
            #expect(value == (try sha256sum(base.appendingPathComponent(name).path)), "\(form.form): \(name)")
        }
    }

    static let workerInputs: [(format: String, input: String, extra: [String])] = [
        ("cifar10", "cifar-10-binary.tar.gz", []), ("cifar100", ".", []), ("svhn", "svhn", ["--seed", "3"]),
        ("hwdb", "hwdb", []),
    ]

    /// A worker reading a tar.gz cannot seek: it inflates up to its records. The bytes are still
    /// one process's.
    @Test(arguments: workerInputs.indices, [2, 3])
    func workersReadingArchivesGiveOneProcessBytes(index: Int, workers: Int) throws {
        let (format, name, extra) = Self.workerInputs[index]
        let input = name == "." ? Self.archives : Self.archives.appendingPathComponent(name)
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("one")
        let one = try Self.convert(format, input, reference, ["--shards", "2"] + extra)
        try #require(one.status == 0, "\(one.standardError)")
        let output = directory.appendingPathComponent("workers")
        for i in 0..<workers {
            let run = try Self.convert(format, input, output, ["--shards", "2", "--worker", "\(i)/\(workers)"] + extra)
            #expect(run.status == 0, "worker \(i)/\(workers): \(run.standardError)")
        }
        let commit = try ShardKitProcess.run(["commit", output.path])
        #expect(commit.status == 0, "\(commit.standardError)")
        try ScaleOutTests.expectSameTree(reference, output)
    }

    @Test(arguments: [
        (
            "cifar10", "broken/cut-cifar-10-binary.tar.gz",
            "cut-cifar-10-binary.tar.gz/cifar-10-batches-bin/data_batch_1.bin", "Truncated"
        ),
        ("hwdb", "broken/bad-crc_gnt.zip", "bad-crc_gnt.zip/1001-c.gnt", "CRC"),
    ])
    func aDamagedArchiveFailsWithOneLineNamingArchiveAndEntry(
        format: String, archive: String, place: String, cause: String
    )
        throws
    {
        let output = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Self.convert(
            format, Self.archives.appendingPathComponent(archive), output.appendingPathComponent("out"))
        #expect(result.status == 65)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(result.standardError)")
        #expect(lines.first?.hasPrefix("shardkit: error: ") == true)
        #expect(result.standardError.contains(place), "\(result.standardError)")
        #expect(result.standardError.contains(cause), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("out/manifest.json").path))
    }

    @Test(arguments: ["alz/HWDB1.1trn_gnt.zip", "alz-renamed/HWDB1.1trn_gnt.zip", "alz"])
    func anALZipInsideTheZipPrintsTheUnalzCommand(input: String) throws {
        let output = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Self.convert(
            "hwdb", Self.archives.appendingPathComponent(input), output.appendingPathComponent("out"))
        #expect(result.status == 66)
        let folder = Self.archives.appendingPathComponent(
            input.hasSuffix(".zip") ? String(input.split(separator: "/")[0]) : input)
        let zip = folder.appendingPathComponent("HWDB1.1trn_gnt.zip").path
        let inner = input.hasPrefix("alz-renamed") ? "HWDB1.1trn_gnt.part" : "HWDB1.1trn_gnt.alz"
        let command =
            "unzip -o \(zip) \(inner) -d \(folder.path) && "
            + "unalz -d \(folder.path)/HWDB1.1trn_gnt \(folder.path)/\(inner)"
        #expect(result.standardError.contains(command), "\(result.standardError)")
        #expect(result.standardError.contains("--input \(folder.path)/HWDB1.1trn_gnt"))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    /// libarchive (with libxml2, ICU and the compressors it links: 3.7 MB of resident memory) is
    /// loaded when the first archive is opened, not when shardkit starts: the dynamic loader's
    /// own trace (LD_DEBUG=libs) shows no libarchive for a folder input, and shows it for an
    /// archive.
    @Test func libarchiveIsLoadedOnlyForArchives() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func loadsLibarchive(_ input: String) throws -> Bool {
            let output = directory.appendingPathComponent(UUID().uuidString)
            let run = try ShardKitProcess.run(
                ["convert", "cifar10", "--input", input, "--output", output.path, "--quiet"], environment: ["LD_DEBUG": "libs"])
            #expect(run.status == 0, "\(run.standardError.suffix(400))")
            #expect(run.standardError.contains("calling init: "), "no loader trace")
            return run.standardError.split(separator: "\n").contains { $0.contains("calling init: ") && $0.contains("libarchive.so") }
        }
        #expect(try !loadsLibarchive(FixturePaths.fixture("cifar10").path))
        #expect(try loadsLibarchive(Self.archives.appendingPathComponent("cifar-10-binary.tar.gz").path))
    }

    @Test func anALZipFileGivenDirectlyPrintsTheUnalzCommand() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let alz = directory.appendingPathComponent("HWDB1.1trn_gnt.alz")
        try Data("ALZ\u{01}not really".utf8).write(to: alz)
        let result = try Self.convert("hwdb", alz, directory.appendingPathComponent("out"))
        #expect(result.status == 66)
        #expect(
            result.standardError.contains("unalz -d \(directory.path)/HWDB1.1trn_gnt \(alz.path)"),
            "\(result.standardError)")
        #expect(!result.standardError.contains("unzip"))
    }

    /// An input that holds nothing convertible: exit 66, and the line lists every place looked at.
    @Test(arguments: [
        ("cifar10", ["cifar-10-batches-bin/ holding", "cifar-10-binary.tar.gz", "data_batch_1.bin"]),
        ("cifar100", ["cifar-100-binary/ holding", "cifar-100-binary.tar.gz"]),
        ("svhn", ["train/ holding digitStruct.mat", "train.tar.gz", "test/ holding", "test.tar.gz"]),
        ("hwdb", ["train/*.gnt", "*trn*_gnt.zip", "*.gnt in"]),
        ("mnist", ["-images-idx3-ubyte[.gz]", "a subfolder of"]),
    ])
    func aRefusedInputListsWhatWasLookedFor(format: String, wanted: [String]) throws {
        let empty = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        try Data("not a dataset\n".utf8).write(to: empty.appendingPathComponent("notes.txt"))
        let result = try Self.convert(format, empty, empty.appendingPathComponent("out"))
        #expect(result.status == 66)
        #expect(result.standardError.hasPrefix("shardkit: error: \(empty.path): "))
        #expect(result.standardError.contains("looked for: "))
        for text in wanted {
            #expect(result.standardError.contains(text), "\(format): \(text): \(result.standardError)")
        }
        #expect(result.standardError.split(separator: "\n").count == 1)
        // A file that is no archive of the format is refused the same way.
        let file = try Self.convert(
            format, empty.appendingPathComponent("notes.txt"), empty.appendingPathComponent("out"))
        #expect(file.status == 66, "\(format): \(file.standardError)")
        #expect(file.standardError.contains("looked for: "), "\(file.standardError)")
    }

    /// extra.tar.gz (1.3 GB) is looked for, and listed, only with --include-extra.
    @Test func includeExtraLooksForTheExtraArchive() throws {
        let output = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let input = Self.archives.appendingPathComponent("svhn")
        let result = try Self.convert("svhn", input, output.appendingPathComponent("out"), ["--include-extra"])
        #expect(result.status == 66)
        #expect(result.standardError.contains("--include-extra: no extra/ folder or extra.tar.gz"))
        #expect(result.standardError.contains("\(input.path)/extra.tar.gz"), "\(result.standardError)")
    }

    /// The four MNIST files of the fixture digit set under their official names.
    static func officialMNISTNames() throws -> URL {
        try Self.scratch([
            ("digits/train-images-idx3-ubyte.gz", "mnist/train-images-idx3-ubyte.gz"),
            ("digits/train-labels-idx1-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"),
            ("digits/t10k-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz"),
            ("digits/t10k-labels-idx1-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"),
        ]).appendingPathComponent("mnist")
    }

    @Test func aFileThatIsNotThePublishedDownloadIsAWarningNamingIt() throws {
        let input = try Self.officialMNISTNames()
        defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
        let output = input.deletingLastPathComponent().appendingPathComponent("out")
        let result = try ShardKitProcess.run(["convert", "mnist", "--input", input.path, "--output", output.path])
        #expect(result.status == 0, "\(result.standardError)")
        let warnings = result.standardError.split(separator: "\n").filter { $0.hasPrefix("shardkit: warning: ") }
        #expect(warnings.count == 4, "\(result.standardError)")
        for name in [
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ] {
            let path = input.appendingPathComponent(name).path
            #expect(
                warnings.contains {
                    $0.hasPrefix("shardkit: warning: \(path): SHA-256 ")
                        && $0.contains("a modified or partial download")
                })
            let metadata = try Self.metadata(output)
            #expect(metadata["input sha256: \(name)"] == (try sha256sum(path)))
            #expect(metadata["input check: \(name)"]?.hasPrefix("differs from the published SHA-256 (MNIST ") == true)
        }
        #expect(result.standardError.contains("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"))
        // --quiet prints results and errors only: no warning, the manifest still says it.
        let quiet = try Self.convert("mnist", input, output.appendingPathComponent("q"))
        #expect(quiet.status == 0)
        #expect(quiet.standardError.isEmpty, "\(quiet.standardError)")
    }

    @Test func strictInputsMakesAMismatchAnErrorAndWritesNothing() throws {
        let input = try Self.officialMNISTNames()
        defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
        let output = input.deletingLastPathComponent().appendingPathComponent("out")
        let result = try Self.convert("mnist", input, output, ["--strict-inputs"])
        #expect(result.status == 65)
        #expect(result.standardError.hasPrefix("shardkit: error: \(input.path)/"), "\(result.standardError)")
        #expect(result.standardError.contains("-idx") && result.standardError.contains("--strict-inputs"))
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).filter {
                $0.contains(".tfrecord")
            }.isEmpty)
        // An archive is hashed while it is listed: the check fails before anything is written.
        let archive = try Self.convert(
            "cifar10", Self.archives.appendingPathComponent("cifar-10-binary.tar.gz"),
            output.appendingPathComponent("c"),
            ["--strict-inputs"])
        #expect(archive.status == 65)
        #expect(archive.standardError.contains("cifar-10-binary.tar.gz: SHA-256 "), "\(archive.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("c").path))
        // Files no checksum is published for pass --strict-inputs.
        let plain = try Self.convert(
            "cifar10", FixturePaths.fixture("cifar10"), output.appendingPathComponent("p"), ["--strict-inputs"])
        #expect(plain.status == 0, "\(plain.standardError)")
    }

    /// An SVHN folder's PNGs get one manifest line per folder, the SHA-256 of their `sha256sum`
    /// listing as formats/archives.md gives the command (streamed now, the same value).
    @Test func svhnPNGFolderLineIsTheListingsSha256() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        let run = try Self.convert("svhn", FixturePaths.fixture("svhn"), output, ["--seed", "3"])
        #expect(run.status == 0, "\(run.standardError)")
        let metadata = try Self.metadata(output)
        for split in ["train", "test"] {
            let expected = try sha256sumListingOfPNGs(in: FixturePaths.fixture("svhn/\(split)").path)
            #expect(expected.count == 64)
            #expect(metadata["input sha256: \(split)/*.png"] == String(expected), "\(split)")
        }
        #expect(!metadata.keys.contains { $0.hasSuffix(".png") && !$0.hasSuffix("/*.png") }, "no line per PNG")
    }
}

extension FileManager {
    /// Whether `url` is a folder.
    func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
