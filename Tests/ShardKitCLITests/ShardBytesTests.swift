import Foundation
import TestSupport
import Testing

/// The shard bytes every writing command produces, pinned by SHA-256 (recorded in
/// `shard-sha256.json` before the dataset-spine refactor; it must not change them). Each case runs
/// the real `shardkit` binary on the fixtures and hashes every `*.tfrecord-*` shard (index and side
/// files may change). Rerecord, only for a deliberate format change, with
/// `SHARDKIT_RECORD_SHARD_HASHES=1 swift test --filter ShardBytesTests`.
@Suite struct ShardBytesTests {
    static let cases: [(name: String, arguments: [String])] = [
        ("mnist", ["convert", "mnist", "--input", "Fixtures/mnist", "--shards", "2"]),
        ("digits", ["convert", "mnist", "--input", "Fixtures/digits", "--shards", "3", "--jobs", "1"]),
        ("digits-gzip", ["convert", "mnist", "--input", "Fixtures/digits", "--compression", "gzip"]),
        ("digits-jpeg", ["convert", "mnist", "--input", "Fixtures/digits", "--image-encoding", "jpeg"]),
        ("digits-augment", [
            "convert", "mnist", "--input", "Fixtures/mnist", "--augment", "crop=24,resize=28,brightness=0.2",
            "--copies", "2", "--seed", "5",
        ]),
        ("cifar10", ["convert", "cifar10", "--input", "Fixtures/cifar10"]),
        ("cifar100", ["convert", "cifar100", "--input", "Fixtures/cifar100", "--shards", "2"]),
        ("svhn", ["convert", "svhn", "--input", "Fixtures/svhn", "--seed", "3"]),
        ("hwdb", ["convert", "hwdb", "--input", "Fixtures/hwdb"]),
        ("synth", ["synth", "--digits", "Fixtures/digits", "--count", "120", "--test-count", "30", "--seed", "7"]),
        ("synth-rgb-png", [
            "synth", "--digits", "Fixtures/digits", "--count", "40", "--test-count", "0", "--channels", "3",
            "--image-encoding", "png", "--layout", "fixed", "--seed", "2",
        ]),
        ("synth-augment", [
            "synth", "--digits", "Fixtures/digits", "--count", "40", "--test-count", "10", "--augment",
            "crop=54,resize=64,brightness=0.3", "--copies", "2", "--jobs", "1",
        ]),
        ("generate", ["generate", "--records", "50", "--shards", "2"]),
        ("generate-zlib", ["generate", "--records", "20", "--shards", "1", "--compression", "zlib"]),
    ]

    static let recorded = FixturePaths.repositoryRoot.appendingPathComponent(
        "Tests/ShardKitCLITests/shard-sha256.json")
    static let recording = ProcessInfo.processInfo.environment["SHARDKIT_RECORD_SHARD_HASHES"] == "1"

    /// SHA-256 of every shard in `directory`, by file name.
    static func shardHashes(in directory: URL) throws -> [String: String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.contains(".tfrecord-") && !$0.hasSuffix(".index") }.sorted()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = names
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var hashes: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            hashes[parts[1].trimmingCharacters(in: .whitespaces)] = String(parts[0])
        }
        return hashes
    }

    @Test("shard bytes equal the recorded SHA-256s", arguments: cases.indices)
    func shardBytesAreUnchanged(index: Int) throws {
        let (name, arguments) = Self.cases[index]
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        let absolute = arguments.map { $0.hasPrefix("Fixtures/") ? FixturePaths.repositoryRoot.appendingPathComponent($0).path : $0 }
        let result = try ShardKitProcess.run(absolute + ["--output", output.path, "--quiet"])
        #expect(result.status == 0, "\(name): \(result.standardError)")
        let hashes = try Self.shardHashes(in: output)
        #expect(!hashes.isEmpty, "\(name) wrote no shard")
        if Self.recording {
            try RecordedHashes.shared.set(name, hashes, in: Self.recorded)
            return
        }
        let all = try JSONDecoder().decode([String: [String: String]].self, from: Data(contentsOf: Self.recorded))
        let expected = try #require(all[name], "no recorded hashes for \(name)")
        #expect(hashes == expected, "\(name): shard bytes changed")
    }
}

/// Collects recorded hashes from parallel test cases into one JSON file.
final class RecordedHashes: @unchecked Sendable {
    static let shared = RecordedHashes()
    private let lock = NSLock()

    func set(_ name: String, _ hashes: [String: String], in file: URL) throws {
        lock.lock()
        defer { lock.unlock() }
        var all = (try? JSONDecoder().decode([String: [String: String]].self, from: Data(contentsOf: file))) ?? [:]
        all[name] = hashes
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(all).write(to: file)
    }
}
