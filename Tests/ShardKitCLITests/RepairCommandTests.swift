import Foundation
import RecordIO
import TestSupport
import Testing

/// `shardkit repair SRC --output DST` through the binary: every exit code it documents, the
/// lines it prints, a DST that `verify` passes, an untouched SRC, and real signals.
@Suite struct RepairCommandTests {
    static let shardCount = 4

    /// A scratch folder holding `src`, a generated dataset of `records` records in 4 shards.
    final class Place {
        let root: URL
        var source: URL { root.appendingPathComponent("src") }
        var output: URL { root.appendingPathComponent("dst") }

        init(records: Int = 40) throws {
            root = try FixturePaths.makeScratchDirectory("repair-cli")
            let made = try ShardKitProcess.run([
                "generate", "--output", source.path, "--records", String(records), "--shards", String(shardCount),
                "--quiet",
            ])
            #expect(made.status == 0, "\(made.standardError)")
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func shard(_ k: Int, in directory: URL? = nil) -> URL {
            (directory ?? source).appendingPathComponent("generated-train.tfrecord-0000\(k)-of-0000\(shardCount)")
        }

        /// Every record of a folder's four shards, in order.
        func records(in directory: URL) throws -> [[UInt8]] {
            try (0..<shardCount).flatMap { try readAll(shard($0, in: directory).path) }
        }

        func locations(_ k: Int) throws -> [(offset: Int, length: Int)] { try indexLocations(ofShard: shard(k)) }

        func repair(_ extra: [String] = []) throws -> ShardKitProcess.Result {
            try ShardKitProcess.run(["repair", source.path, "--output", output.path, "--quiet"] + extra)
        }
    }

    static func fingerprint(_ directory: URL) throws -> [String: String] { try fileHashes(below: directory) }

    @Test func aCleanDatasetExits0WithShardsByteIdenticalToTheSource() throws {
        let place = try Place()
        let result = try place.repair()
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.isEmpty)
        #expect(
            result.standardOutput.hasPrefix(
                "repaired \(place.source.path) into \(place.output.path): kept 40 of 40 records, dropped 0\n"))
        #expect(try ShardBytesTests.shardHashes(in: place.output) == ShardBytesTests.shardHashes(in: place.source))
        let verify = try ShardKitProcess.run(["verify", place.output.path, "--quiet"])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }

    /// The three kinds of damage: exit 1, one `dropped:` line naming the file, record and
    /// offset, the other records kept byte for byte, `verify DST` clean, SRC unchanged.
    @Test(arguments: ["payload", "length", "truncated"])
    func damageIsDroppedAndReported(kind: String) throws {
        let place = try Place()
        let original = try place.records(in: place.source)
        let victim = try place.locations(2)[6]
        var bytes = try readBytes(place.shard(2).path)
        switch kind {
        case "payload": bytes[victim.offset + 12 + 7] ^= 0x08
        case "length": bytes[victim.offset + 2] ^= 0x08
        default: bytes.removeLast(bytes.count - victim.offset - 20)
        }
        try writeBytes(bytes, to: place.shard(2).path)
        let before = try Self.fingerprint(place.source)

        let result = try place.repair()
        #expect(result.status == 1, "\(result.standardError)")
        let lines = result.standardError.split(separator: "\n").map(String.init)
        #expect(lines.count == 1, "\(lines)")
        #expect(
            lines.first?.hasPrefix("shardkit: dropped: \(place.shard(2).path): record 6 at byte \(victim.offset): ")
                == true, "\(lines)")
        let dropped: Set<Int> = kind == "truncated" ? [26, 27, 28, 29] : [26]
        #expect(result.standardOutput.contains("kept \(40 - dropped.count) of 40 records, dropped \(dropped.count)"))
        #expect(
            try place.records(in: place.output)
                == original.enumerated().filter { !dropped.contains($0.offset) }.map(\.element))
        #expect(try Self.fingerprint(place.source) == before, "the source changed")
        let verify = try ShardKitProcess.run(["verify", place.output.path, "--quiet"])
        #expect(verify.status == 0, "\(verify.standardOutput)")

        let report =
            try JSONSerialization.jsonObject(
                with: Data(readBytes(place.output.appendingPathComponent("repair-report.json").path))) as! [String: Any]
        let entries = report["dropped"] as! [[String: Any]]
        #expect(entries.count == 1)
        #expect(entries.first?["file"] as? String == place.shard(2).lastPathComponent)
        #expect(entries.first?["recordIndex"] as? Int == 6)
        #expect(entries.first?["byteOffset"] as? Int == victim.offset)
        #expect(report["recordsDropped"] as? Int == dropped.count)
    }

    /// Without --verbose the first ten dropped records are listed, then a count; with it, all.
    @Test func verboseListsEveryDroppedRecord() throws {
        let place = try Place(records: 80)
        var bytes = try readBytes(place.shard(0).path)
        let locations = try place.locations(0)
        for location in locations { bytes[location.offset + 12 + 3] ^= 1 }
        try writeBytes(bytes, to: place.shard(0).path)
        let quiet = try place.repair()
        #expect(quiet.status == 1)
        let lines = quiet.standardError.split(separator: "\n")
        #expect(lines.count == 11)
        #expect(
            lines.last
                == "shardkit: … and \(locations.count - 10) more dropped (--verbose lists them; all are in \(place.output.path)/repair-report.json)"
        )
        try FileManager.default.removeItem(at: place.output)
        let verbose = try place.repair(["--verbose"])
        #expect(verbose.status == 1)
        #expect(verbose.standardError.split(separator: "\n").count == locations.count)
    }

    // MARK: Exit codes

    @Test func theOutputBeingTheSourceOrInsideItIs64() throws {
        let place = try Place(records: 4)
        let before = try Self.fingerprint(place.source)
        for output in [place.source.path, place.source.path + "/fixed"] {
            let result = try ShardKitProcess.run(["repair", place.source.path, "--output", output])
            #expect(result.status == 64, "\(result.standardError)")
            #expect(result.standardError.hasPrefix("shardkit: error: \(output): the output "))
        }
        #expect(try Self.fingerprint(place.source) == before)
        #expect(try ShardKitProcess.run(["repair", place.source.path]).status == 64, "--output is required")
    }

    @Test func aMissingOrEmptySourceIs66() throws {
        let root = try FixturePaths.makeScratchDirectory("repair-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let missing = root.appendingPathComponent("nothing")
        var result = try ShardKitProcess.run([
            "repair", missing.path, "--output", root.appendingPathComponent("out").path,
        ])
        #expect(result.status == 66)
        #expect(result.standardError == "shardkit: error: \(missing.path): no such file or directory\n")
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        result = try ShardKitProcess.run(["repair", empty.path, "--output", root.appendingPathComponent("out").path])
        #expect(result.status == 66)
        #expect(result.standardError.contains("nothing to repair"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path))
    }

    @Test func anOutputHoldingADatasetIs73AndStaysAsItWas() throws {
        let place = try Place(records: 4)
        _ = try ShardKitProcess.run(["generate", "--output", place.output.path, "--records", "2", "--quiet"])
        let before = try Self.fingerprint(place.output)
        let result = try place.repair()
        #expect(result.status == 73, "\(result.standardError)")
        #expect(result.standardError.contains("already holds a dataset"))
        #expect(try Self.fingerprint(place.output) == before)
    }

    @Test func anOutputThatCannotBeWrittenIs74() throws {
        let place = try Place(records: 4)
        let file = place.root.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let result = try ShardKitProcess.run(["repair", place.source.path, "--output", file.path + "/out", "--quiet"])
        #expect(result.status == 74, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("shardkit: error: \(file.path)/out: cannot create directory"))
    }

    /// A real full disk (a small tmpfs, as root): 74, one line, nothing left on the disk.
    @Test(.enabled(if: FullDiskTests.canMount, "cannot mount a tmpfs here (needs root)"))
    func aFullDiskIs74AndLeavesNothing() throws {
        let place = try Place(records: 200)  // about 790 KB of shards
        let disk = try FullDiskTests.Mount(size: "512k")
        let result = try ShardKitProcess.run([
            "repair", place.source.path, "--output", disk.url.appendingPathComponent("out").path, "--quiet",
        ])
        #expect(result.status == 74, "\(result.standardError)")
        #expect(result.standardError.contains("No space left on device"))
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(
            FullDiskTests.everything(in: disk.url).isEmpty, "left behind: \(FullDiskTests.everything(in: disk.url))")
    }

    /// SIGINT while the shards are being written and SIGTERM while SRC is being checked: the run
    /// stops within a second, removes its staging (and DST, which it made), says so, and exits
    /// 130 or 143.
    @Test func aSignalStopsTheRepairAndRemovesItsStaging() throws {
        let place = try Place(records: 40_000)  // about 155 MB
        for (signal, status, whileWriting) in [(SIGINT, Int32(130), true), (SIGTERM, Int32(143), false)] {
            let run = try ShardKitRun(["repair", place.source.path, "--output", place.output.path, "--quiet"])
            var staging: String?
            _ = run.wait {
                staging = (try? FileManager.default.contentsOfDirectory(atPath: place.output.path))?
                    .first { $0.hasPrefix(".shardkit-staging-") }
                guard let staging else { return false }
                let inside =
                    (try? FileManager.default.contentsOfDirectory(
                        atPath: place.output.appendingPathComponent(staging).path)) ?? []
                return !whileWriting || inside.contains { $0.contains(".tfrecord-") }
            }
            let stagingName = try #require(staging, "the run never started writing")
            // Past the moment the writer registers its clean-up (just after it makes the staging
            // folder); checking 155 MB takes about a second, so this is still the first pass.
            if !whileWriting { usleep(300_000) }
            let ending = run.stop(with: signal)
            #expect(ending.exited && ending.status == status, "\(ending.standardError)")
            #expect(ending.seconds < 1.0, "took \(ending.seconds) s to stop")
            #expect(
                ending.standardError.contains("removed \(place.output.path)/\(stagingName)"), "\(ending.standardError)")
            #expect(!FileManager.default.fileExists(atPath: place.output.path), "the output folder is left behind")
        }
    }
}
