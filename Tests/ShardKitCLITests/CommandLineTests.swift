import Foundation
import TestSupport
import Testing

/// End to end through the `shardkit` binary: output, and the documented exit codes.
@Suite struct CommandLineTests {
    @Test func generateInspectVerifyRoundTrip() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generate = try ShardKitProcess.run(["generate", "--output", directory.path, "--records", "50",
                                                "--shards", "2", "--compression", "zlib", "--quiet"])
        #expect(generate.status == 0, "\(generate.standardError)")
        let inspect = try ShardKitProcess.run(["inspect", directory.path, "--histogram", "length", "--quiet"])
        #expect(inspect.status == 0)
        #expect(inspect.standardOutput.contains("total: 50 records in 2 files"))
        #expect(inspect.standardOutput.contains("zlib"))
        let verify = try ShardKitProcess.run(["verify", directory.path, "--quiet"])
        #expect(verify.status == 0)
        #expect(verify.standardOutput.contains("verified 2 files, 50 records: OK"))
    }

    @Test func verifyExitsOneOnACorruptRecordAndNamesIt() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try ShardKitProcess.run(["generate", "--output", directory.path, "--records", "4", "--shards", "1", "--quiet"])
        let shard = directory.appendingPathComponent("generated-train.tfrecord-00000-of-00001")
        var bytes = try [UInt8](Data(contentsOf: shard))
        bytes[4041 * 2 + 12 + 9] ^= 0x10
        try Data(bytes).write(to: shard)
        let verify = try ShardKitProcess.run(["verify", shard.path])
        #expect(verify.status == 1)
        #expect(verify.standardOutput.contains("\(shard.path): record 2 at byte 8082: payload checksum mismatch"))
    }

    @Test func inspectExitsSixtyFiveOnATruncatedFile() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try ShardKitProcess.run(["generate", "--output", directory.path, "--records", "3", "--shards", "1", "--quiet"])
        let shard = directory.appendingPathComponent("generated-train.tfrecord-00000-of-00001")
        let bytes = try Data(contentsOf: shard)
        try bytes.prefix(4041 + 100).write(to: shard)
        let inspect = try ShardKitProcess.run(["inspect", shard.path])
        #expect(inspect.status == 65)
        #expect(inspect.standardError.hasPrefix("shardkit: error: \(shard.path): record 1 at byte 4041: truncated"))
        #expect(inspect.standardError.split(separator: "\n").count == 1)
    }

    @Test func missingInputExitsSixtySix() throws {
        let result = try ShardKitProcess.run(["verify", "/nonexistent/shards"])
        #expect(result.status == 66)
        #expect(result.standardError == "shardkit: error: /nonexistent/shards: no such file or directory\n")
    }

    @Test(arguments: [["inspect"], ["generate", "--output", "/tmp/x", "--compression", "lz4"],
                      ["generate", "--output", "/tmp/x", "--shards", "0"], ["no-such-command"]])
    func usageErrorsExitSixtyFour(arguments: [String]) throws {
        #expect(try ShardKitProcess.run(arguments).status == 64)
    }

    @Test(arguments: ["generate", "inspect", "verify"])
    func everyCommandsHelpShowsAnExample(command: String) throws {
        let help = try ShardKitProcess.run([command, "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("Example"))
        #expect(help.standardOutput.contains("shardkit \(command)"))
    }
}
