import Foundation
import TestSupport
import Testing

/// `shardkit synth` and `shardkit inspect --grid` through the binary.
@Suite struct SynthCommandTests {
    static let digits = FixturePaths.fixture("digits").path

    @Test func synthWritesShardsThatInspectAndVerifyAccept() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("strings").path
        let preview = directory.appendingPathComponent("preview.png").path
        let synth = try ShardKitProcess.run([
            "synth", "--digits", Self.digits, "--output", output, "--count", "80", "--test-count", "20",
            "--shards", "2", "--jobs", "2", "--lengths", "1:1,2:1,3:2,4:2,5:4", "--preview", preview,
            "--preview-count", "16", "--quiet",
        ])
        #expect(synth.status == 0, "\(synth.standardError)")
        #expect(synth.standardOutput.hasPrefix("wrote 80 train + 20 test records"))
        #expect(synth.standardOutput.split(separator: "\n").count == 1)
        #expect(FileManager.default.fileExists(atPath: preview))
        let inspect = try ShardKitProcess.run(["inspect", output, "--histogram", "length", "--quiet"])
        #expect(inspect.status == 0)
        #expect(inspect.standardOutput.contains("total: 100 records in 4 files"))
        #expect(inspect.standardOutput.contains("digits  int64  5 values"))
        let verify = try ShardKitProcess.run(["verify", output, "--quiet"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")
    }

    @Test func inspectGridDrawsASheet() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("fixed").path
        let synth = try ShardKitProcess.run([
            "synth", "--digits", Self.digits, "--output", output, "--count", "30", "--test-count", "0",
            "--layout", "fixed", "--max-length", "3", "--quiet",
        ])
        #expect(synth.status == 0, "\(synth.standardError)")
        let grid = directory.appendingPathComponent("grid.png").path
        let inspect = try ShardKitProcess.run([
            "inspect", output, "--grid", grid, "--count", "9", "--random", "--seed", "4", "--quiet",
        ])
        #expect(inspect.status == 0, "\(inspect.standardError)")
        // 28×84 images: 84-pixel cells, 8 columns, 2 rows: 8 × 86 + 2 by 2 × (84 + 9 + 2) + 2.
        #expect(inspect.standardOutput == "drew 9 of 30 records read into \(grid) (690x192)\n")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: grid))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    @Test func sameArgumentsGiveTheSameBytesWhateverJobs() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var listings: [[String: Data]] = []
        for jobs in ["1", "2"] {
            let output = directory.appendingPathComponent("jobs\(jobs)")
            let synth = try ShardKitProcess.run([
                "synth", "--digits", Self.digits, "--output", output.path, "--count", "300", "--test-count", "10",
                "--jobs", jobs, "--image-encoding", "png", "--seed", "9", "--quiet",
            ])
            #expect(synth.status == 0, "\(synth.standardError)")
            listings.append(try regularFiles(under: output))
        }
        #expect(listings[0].count == 19)  // 8 shards, 8 index files (in index/), features.json, dataset_info.json, manifest.json
        #expect(listings[0] == listings[1])
    }

    @Test(arguments: [
        ["synth", "--output", "/tmp/x"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--max-length", "6"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--lengths", "7:1"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--layout", "grid"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--size", "0"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--size", "64x5000"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--augment", "crop=x"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--copies", "2"],
        ["synth", "--digits", "d", "--output", "/tmp/x", "--image-encoding", "gif"],
        ["inspect", "/tmp", "--random"],
    ])
    func usageErrorsExitSixtyFour(arguments: [String]) throws {
        #expect(try ShardKitProcess.run(arguments).status == 64)
    }

    @Test func aMissingDigitFolderExitsSixtySix() throws {
        let result = try ShardKitProcess.run([
            "synth", "--digits", "/nonexistent/digits", "--output", "/tmp/shardkit-never", "--quiet",
        ])
        #expect(result.status == 66)
        #expect(result.standardError.hasPrefix("shardkit: error: "))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test func helpShowsAnExample() throws {
        let help = try ShardKitProcess.run(["synth", "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("Example"))
        #expect(help.standardOutput.contains("shardkit synth"))
    }
}
