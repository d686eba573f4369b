import Foundation
import TestSupport
import Testing

/// `shardkit get`: record N of a split equals record N read sequentially (by `inspect --dump`),
/// for plain, GZIP and ZLIB shards, and every failure has its documented exit code.
@Suite struct GetCommandTests {
    /// The fixture digit set (2,000 train and 500 test PNG records) converted into 3 shards per
    /// split; the train shards are about 350 KiB each, so a GZIP shard has two members.
    static func dataset(_ compression: String) throws -> URL {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-get")
        let output = directory.appendingPathComponent("digits")
        let result = try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture("digits").path, "--output", output.path, "--shards", "3",
            "--compression", compression, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        return output
    }

    static let trainShards = (0..<3).map { "mnist-train.tfrecord-0000\($0)-of-00003" }

    /// The JSON lines `inspect --dump` prints for the train shards, read one after another.
    static func sequentialDump(_ output: URL) throws -> [String] {
        let inspect = try ShardKitProcess.run(
            ["inspect"] + trainShards.map { output.appendingPathComponent($0).path } + [
                "--dump", "2000", "--bytes-preview", "0", "--quiet",
            ])
        #expect(inspect.status == 0, "\(inspect.standardError)")
        return Array(inspect.standardOutput.split(separator: "\n").prefix(2000).map(String.init))
    }

    @Test(arguments: ["none", "gzip", "zlib"])
    func firstMiddleAndLastRecordsEqualTheSequentialOnes(compression: String) throws {
        let output = try Self.dataset(compression)
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let dump = try Self.sequentialDump(output)
        #expect(dump.count == 2000)
        for index in [0, 666, 667, 1000, 1999] {
            let get = try ShardKitProcess.run([
                "get", output.path, "--split", "train", "--index", "\(index)", "--dump", "--bytes-preview", "0",
            ])
            #expect(get.status == 0, "\(get.standardError)")
            #expect(get.standardOutput == dump[index] + "\n", "record \(index)")
        }
        // Without --dump: where the record is.
        let located = try ShardKitProcess.run(["get", output.path, "--split", "train", "--index", "1000"])
        #expect(located.status == 0)
        #expect(located.standardOutput.hasPrefix("train 1000: mnist-train.tfrecord-00001-of-00003, record 334 of the shard"))
        #expect(located.standardOutput.contains("gzip member") == (compression == "gzip"), "\(located.standardOutput)")
        #expect(located.standardOutput.contains("no index") == (compression == "zlib"))
    }

    /// `--image` writes the stored PNG bytes of the record's image.
    @Test func imageWritesTheStoredPNG() throws {
        let output = try Self.dataset("gzip")
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let png = output.deletingLastPathComponent().appendingPathComponent("record.png")
        let get = try ShardKitProcess.run(["get", output.path, "--split", "test", "--index", "499", "--image", png.path])
        #expect(get.status == 0, "\(get.standardError)")
        #expect(get.standardOutput == "wrote \(png.path) (28x28, 1 channel)\n")
        let dump = try ShardKitProcess.run([
            "get", output.path, "--split", "test", "--index", "499", "--dump", "--bytes-preview", "0",
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [String: Any])
        let features = try #require(json["features"] as? [String: Any])
        let image = try #require((features["image"] as? [String: Any])?["bytes"] as? [String])
        #expect(try Data(contentsOf: png) == Data(base64Encoded: image[0]))
    }

    /// An `--image` path in a folder that is not there: exit 74 naming the path, and no file or
    /// temporary file left behind.
    @Test func anImageThatCannotBeWrittenIs74() throws {
        let output = try Self.dataset("none")
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let png = output.deletingLastPathComponent().appendingPathComponent("nope/record.png")
        let get = try Self.get(output, ["--split", "test", "--index", "0", "--image", png.path])
        #expect(get.status == 74)
        #expect(get.standardError.contains("\(png.path): cannot write: "), "\(get.standardError)")
        #expect(!FileManager.default.fileExists(atPath: png.deletingLastPathComponent().path))
    }

    static func get(_ output: URL, _ arguments: [String]) throws -> ShardKitProcess.Result {
        try ShardKitProcess.run(["get", output.path] + arguments)
    }

    @Test func unknownSplitsAndIndexesOutOfRangeAre64() throws {
        let output = try Self.dataset("none")
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let split = try Self.get(output, ["--split", "validation", "--index", "0"])
        #expect(split.status == 64)
        #expect(split.standardError == "shardkit: error: \(output.path): no split \"validation\" in this dataset; its splits are test, train\n")
        let range = try Self.get(output, ["--split", "test", "--index", "500"])
        #expect(range.status == 64)
        #expect(range.standardError == "shardkit: error: \(output.path): split test has 500 records (0 to 499); 500 is out of range\n")
        #expect(try Self.get(output, ["--split", "test", "--index", "-3"]).status == 64)
        #expect(try Self.get(output, ["--split", "test", "--index", "3", "--dump", "--image", "x.png"]).status == 64)
        #expect(try Self.get(output, ["--index", "3"]).status == 64)
    }

    @Test func aMissingDirectoryOrManifestIs66() throws {
        let output = try Self.dataset("none")
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let missing = try ShardKitProcess.run(["get", output.path + "-not-there", "--split", "train", "--index", "0"])
        #expect(missing.status == 66)
        #expect(missing.standardError.contains("\(output.path)-not-there: no such dataset directory"))
        try FileManager.default.removeItem(at: output.appendingPathComponent("manifest.json"))
        let noManifest = try Self.get(output, ["--split", "train", "--index", "0"])
        #expect(noManifest.status == 66)
        #expect(noManifest.standardError.contains("manifest.json: no manifest.json"))
    }

    /// Line `index` of a shard's index file (fixed width), as numbers.
    static func indexLine(_ output: URL, shard: String, index: Int, width: Int) throws -> [Int] {
        let bytes = try Data(contentsOf: output.appendingPathComponent("index/\(shard).index"))
        let line = bytes[(index * width)..<((index + 1) * width - 1)]
        return String(decoding: line, as: UTF8.self).split(separator: " ").map { Int($0)! }
    }

    @Test(arguments: ["none", "gzip"])
    func aDamagedRecordIs65NamingTheShardAndOffset(compression: String) throws {
        let output = try Self.dataset(compression)
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let shard = output.appendingPathComponent(Self.trainShards[2])
        let fields = try Self.indexLine(output, shard: Self.trainShards[2], index: 600, width: compression == "none" ? 24 : 48)
        var bytes = try [UInt8](Data(contentsOf: shard))
        if compression == "none" {
            bytes[fields[0] + 40] ^= 0x08  // a byte of record 600's payload
        } else {
            for k in 100..<120 { bytes[fields[2] + k] ^= 0x5A }  // compressed bytes of its member
        }
        try Data(bytes).write(to: shard)
        // Record 600 of the third shard is record 1333 + 600 of the split.
        let get = try Self.get(output, ["--split", "train", "--index", "1933", "--dump"])
        #expect(get.status == 65, "\(get.standardError)")
        #expect(get.standardError.hasPrefix("shardkit: error: \(shard.path): record 600 at byte \(fields[0]): "), "\(get.standardError)")
        #expect(get.standardOutput.isEmpty)
    }
}

/// GZIP shards of members are deterministic: the same input gives the same shard and index bytes
/// whatever `--jobs`.
@Suite struct GzipOutputTests {
    @Test func gzipShardsAndIndexesDoNotDependOnJobs() throws {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-gzip-jobs")
        defer { try? FileManager.default.removeItem(at: directory) }
        var outputs: [[String: Data]] = []
        for jobs in ["1", "2"] {
            let output = directory.appendingPathComponent("jobs\(jobs)")
            let result = try ShardKitProcess.run([
                "convert", "mnist", "--input", FixturePaths.fixture("digits").path, "--output", output.path,
                "--compression", "gzip", "--jobs", jobs, "--quiet",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            outputs.append(try regularFiles(under: output))
        }
        #expect(outputs[0].keys.sorted() == [
            "features.json", "index/mnist-test.tfrecord-00000-of-00001.index",
            "index/mnist-train.tfrecord-00000-of-00001.index", "manifest.json", "mnist-test.tfrecord-00000-of-00001",
            "mnist-train.tfrecord-00000-of-00001",
        ])
        #expect(outputs[0] == outputs[1])
        // Five members in the train shard: the gzip magic at each member offset the index names.
        let index = String(decoding: outputs[0]["index/mnist-train.tfrecord-00000-of-00001.index"]!, as: UTF8.self)
        let members = Set(index.split(separator: "\n").map { Int($0.split(separator: " ")[2])! })
        #expect(members.count == 5, "\(members.sorted())")
        let shard = [UInt8](outputs[0]["mnist-train.tfrecord-00000-of-00001"]!)
        #expect(members.allSatisfy { shard[$0] == 0x1F && shard[$0 + 1] == 0x8B })
    }
}
