import Foundation
import TestSupport
import Testing

/// Every exit code the README documents, produced through the real binary, with the one line of
/// error it prints. (75, another run holding the output, arrives with the output lock; 70 is for
/// internal errors, which no input should cause.)
@Suite struct ExitCodeTests {
    /// A scratch folder with MNIST-named copies of `images` and `labels` from the fixtures.
    static func mnistFolder(images: String, labels: String) throws -> URL {
        let directory = try FixturePaths.makeScratchDirectory()
        let fm = FileManager.default
        try fm.copyItem(
            at: FixturePaths.fixture(images), to: directory.appendingPathComponent("train-images-idx3-ubyte"))
        try fm.copyItem(
            at: FixturePaths.fixture(labels), to: directory.appendingPathComponent("train-labels-idx1-ubyte"))
        return directory
    }

    @Test func successIsZero() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try ShardKitProcess.run(["generate", "--output", directory.path + "/out", "--records", "3", "--quiet"])
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty)
    }

    @Test func verificationFailureIsOne() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try ShardKitProcess.run(["generate", "--output", directory.path, "--records", "2", "--shards", "1", "--quiet"])
        let shard = directory.appendingPathComponent("generated-train.tfrecord-00000-of-00001")
        var bytes = try [UInt8](Data(contentsOf: shard))
        bytes[20] ^= 1
        try Data(bytes).write(to: shard)
        let result = try ShardKitProcess.run(["verify", directory.path, "--quiet"])
        #expect(result.status == 1)
    }

    @Test func badArgumentsAre64() throws {
        let missingOption = try ShardKitProcess.run(["convert", "mnist", "--output", "/tmp/x"])
        #expect(missingOption.status == 64)
        let badValue = try ShardKitProcess.run(["generate", "--output", "/tmp/x", "--shards", "0"])
        #expect(badValue.status == 64)
        #expect(badValue.standardError.contains("--shards: the shard count must be at least 1, not 0"))
        let badSize = try ShardKitProcess.run(["convert", "mnist", "-i", "Fixtures/mnist", "-o", "/tmp/x", "--shard-size", "0"])
        #expect(badSize.status == 64)
        #expect(badSize.standardError.contains("--shard-size: the shard size must be positive"), "\(badSize.standardError)")
    }

    @Test func aRequestFoundWrongLateIs64() throws {
        // A model that cannot take the dataset's images is found only once training opens the data.
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        _ = try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--output", data.path, "--quiet",
        ])
        let result = try ShardKitProcess.run([
            "train", "--data", data.path, "--model", "cifar", "--epochs", "1",
            "--run-dir", directory.appendingPathComponent("run").path, "--quiet",
        ])
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.contains("--model cifar takes colour images"))
    }

    @Test func malformedInputIs65AndNamesTheFileAndOffset() throws {
        let input = try Self.mnistFolder(
            images: "broken/mnist/truncated-images-idx3-ubyte", labels: "mnist/train-labels-idx1-ubyte")
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try ShardKitProcess.run([
            "convert", "mnist", "--input", input.path, "--output", input.path + "/out", "--quiet",
        ])
        #expect(result.status == 65, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("shardkit: error: \(input.path)/train-images-idx3-ubyte: record "))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test func aFileThatIsNoTFRecordIsSaidToBeOne() throws {
        let file = FixturePaths.fixture("mnist/train-images-idx3-ubyte").path
        let inspect = try ShardKitProcess.run(["inspect", file])
        #expect(inspect.status == 65)
        #expect(inspect.standardError == "shardkit: error: \(file): record 0 at byte 0: not a TFRecord file: its first 12 bytes are not a record header (length and its checksum)\n")
    }

    @Test func missingInputIs66() throws {
        let convert = try ShardKitProcess.run([
            "convert", "mnist", "--input", "/nonexistent/mnist", "--output", "/tmp/shardkit-never", "--quiet",
        ])
        #expect(convert.status == 66)
        #expect(convert.standardError == "shardkit: error: /nonexistent/mnist: no such file or directory\n")
    }

    @Test func nothingToVerifyIs66() throws {
        let empty = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        for folder in [empty.path, FixturePaths.fixture("mnist").path] {
            let result = try ShardKitProcess.run(["verify", folder])
            #expect(result.status == 66, "\(folder)")
            #expect(result.standardError.contains("nothing to verify"))
        }
    }

    @Test func aMissingCheckpointIs66WithOneReadableLine() throws {
        let result = try ShardKitProcess.run([
            "eval", "--checkpoint", "/nonexistent/best.safetensors", "--data", FixturePaths.fixture("mnist").path,
        ])
        #expect(result.status == 66, "\(result.standardError)")
        #expect(result.standardError == "shardkit: error: /nonexistent/best.safetensors: no such file\n")
    }

    @Test func anOutputThatHoldsADatasetIs73() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = [
            "convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--output", directory.path, "--quiet",
        ]
        #expect(try ShardKitProcess.run(arguments).status == 0)
        let again = try ShardKitProcess.run(arguments)
        #expect(again.status == 73)
        #expect(again.standardError.contains("already holds a dataset"))
    }

    @Test func anOutputThatCannotBeCreatedIs74() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let result = try ShardKitProcess.run([
            "generate", "--output", file.path + "/out", "--records", "3", "--quiet",
        ])
        #expect(result.status == 74, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("shardkit: error: \(file.path)/out: cannot create directory"))
    }
}
