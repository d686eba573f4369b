import Foundation
import TestSupport
import Testing

/// `verify` on a folder that holds nothing but a run's hidden staging folder, what Ctrl-C or
/// `kill -9` before the commit leaves: never OK. There is no record file and no manifest at the
/// top, so it is "nothing to verify", exit 66 as README's table and CrashTests ("66 nothing, 1
/// incomplete") say, and the message names the staging folder so that the 66 is not a mystery.
@Suite struct VerifyStagingOnlyTests {
    /// The one line `verify` prints for `output` holding only `staging`.
    static func expectedError(_ output: URL, staging: URL) -> String {
        "shardkit: error: \(output.path): nothing to verify: no TFRecord files and no manifest.json, "
            + "only the staging of a run that did not finish (\(staging.path))\n"
    }

    /// A staging folder laid out as a killed run leaves it (a fingerprint and an unfinished shard
    /// inside): 66, with or without `--no-manifest`, and nothing on standard output.
    @Test func aFolderHoldingOnlyStagingIs66() throws {
        let output = try FixturePaths.makeScratchDirectory("shardkit-verify-staging")
        defer { try? FileManager.default.removeItem(at: output) }
        let staging = output.appendingPathComponent(".shardkit-staging-4194303")
        try FileManager.default.createDirectory(
            at: staging.appendingPathComponent("receipts"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: staging.appendingPathComponent("fingerprint.json"))
        try Data(repeating: 7, count: 40).write(
            to: staging.appendingPathComponent("synth-train.tfrecord-00000-of-00001"))
        for extra in [[], ["--no-manifest"], ["--quiet"]] {
            let verify = try ShardKitProcess.run(["verify", output.path] + extra)
            #expect(verify.status == 66, "\(extra): \(verify.standardOutput)\(verify.standardError)")
            #expect(verify.standardError == Self.expectedError(output, staging: staging), "\(extra)")
            #expect(verify.standardOutput.isEmpty, "\(extra)")
        }
        // An empty folder is 66 too, without the staging clause.
        try FileManager.default.removeItem(at: staging)
        let empty = try ShardKitProcess.run(["verify", output.path])
        #expect(empty.status == 66)
        #expect(
            empty.standardError
                == "shardkit: error: \(output.path): nothing to verify: no TFRecord files and no manifest.json\n")
    }

    /// The real leftover: a synth into a new folder killed with `kill -9` while it streams into its
    /// staging folder. The folder holds hidden entries only, and `verify` exits 66 naming it.
    @Test func whatAKilledRunLeavesIs66() throws {
        let directory = try FixturePaths.makeScratchDirectory("shardkit-verify-killed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("strings")
        let run = try ShardKitRun([
            "synth", "--digits", FixturePaths.fixture("digits").path, "--output", output.path, "--count", "5000000",
            "--test-count", "0", "--quiet",
        ])
        try #require(OverwriteTests.waitForStaging(run, in: output), "the run never made its staging folder")
        let ending = run.stop(with: SIGKILL)
        try #require(!ending.exited, "the run ended before its kill")
        let names = OverwriteTests.names(in: output)
        #expect(names.allSatisfy { $0.hasPrefix(".") }, "\(names)")
        let staging = try #require(names.first { $0.hasPrefix(".shardkit-staging-") })
        #expect(staging == ".shardkit-staging-\(run.process.processIdentifier)")

        let verify = try ShardKitProcess.run(["verify", output.path])
        #expect(verify.status == 66, "\(verify.standardOutput)\(verify.standardError)")
        #expect(verify.standardError == Self.expectedError(output, staging: output.appendingPathComponent(staging)))
        #expect(!verify.standardOutput.contains("OK"))
    }
}
