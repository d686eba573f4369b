import Foundation
import TestSupport
import Testing

/// `--overwrite` through the real binary: the new dataset replaces the old one whole (no stale
/// shard, other files kept), and whatever stops it, an input error, SIGINT or SIGTERM while
/// streaming or while committing, `kill -9` while committing, leaves the old dataset byte for
/// byte (after the next run, for `kill -9`) and `verify` passes on it.
@Suite struct OverwriteTests {
    static let mnist = FixturePaths.fixture("mnist").path
    static let digits = FixturePaths.fixture("digits").path

    /// `shardkit convert mnist` of the MNIST fixtures, without `--output`.
    static let convertMNIST = ["convert", "mnist", "--input", mnist, "--quiet"]

    /// `shardkit synth` of the digit fixtures, train split only, without `--output`.
    static let synth = ["synth", "--digits", digits, "--test-count", "0", "--quiet"]

    /// `shardkit convert mnist` of the MNIST fixtures into `output`.
    static func convert(_ output: URL, _ extra: [String]) throws -> ShardKitProcess.Result {
        try ShardKitProcess.run(convertMNIST + ["--output", output.path] + extra)
    }

    /// The set-up every test here shares: a scratch folder, removed afterwards, holding the output
    /// `name`, into which the run `existing` (its arguments but `--output`) has written a dataset
    /// unless nil. `test` gets the folder, the output and the hashes of the output's files as that
    /// run left them.
    static func withOutput(
        _ name: String = "out", holding existing: [String]? = nil, sourceLocation: SourceLocation = #_sourceLocation,
        _ test: (_ directory: URL, _ output: URL, _ before: [String: String]) throws -> Void
    ) throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent(name)
        var before: [String: String] = [:]
        if let existing {
            let written = try ShardKitProcess.run(existing + ["--output", output.path])
            try #require(written.status == 0, "\(written.standardError)", sourceLocation: sourceLocation)
            before = try fileHashes(below: output)
        }
        try test(directory, output, before)
    }

    /// `verify`'s exit status on `directory`, and what it printed.
    static func verify(_ directory: URL) throws -> (status: Int32, text: String) {
        let result = try ShardKitProcess.run(["verify", directory.path])
        return (result.status, result.standardOutput + result.standardError)
    }

    static func names(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @Test func aNewShardCountReplacesEveryShardAndKeepsOtherFiles() throws {
        try Self.withOutput(holding: Self.convertMNIST + ["--shards", "2"]) { directory, output, _ in
            let notes = output.appendingPathComponent("notes.txt")
            try Data("mine\n".utf8).write(to: notes)

            let refused = try Self.convert(output, ["--shards", "3"])
            #expect(refused.status == 73)
            #expect(
                refused.standardError.contains(
                    "already holds a dataset; remove it, choose another --output, or give --overwrite"))

            let replaced = try Self.convert(output, ["--shards", "3", "--overwrite"])
            #expect(replaced.status == 0, "\(replaced.standardError)")
            #expect(try Self.verify(output).status == 0)
            // Exactly what a conversion into a new folder gives, plus the file that was not the dataset's.
            let fresh = directory.appendingPathComponent("fresh")
            try #require(try Self.convert(fresh, ["--shards", "3"]).status == 0)
            try FileManager.default.removeItem(at: notes)
            try ScaleOutTests.expectSameTree(fresh, output)
            #expect(!Self.names(in: output).contains { $0.contains("-of-00002") })
            #expect(!Self.names(in: output.appendingPathComponent("index")).contains { $0.contains("-of-00002") })
        }
    }

    /// An old dataset's files that the new one does not write go too: another name's shards, the
    /// label names, HWDB's `characters.json`, the `index/` folder and `dataset_info.json` (a ZLIB
    /// dataset has neither).
    @Test func aDifferentDatasetReplacesTheOldOneWhole() throws {
        let hwdb = ["convert", "hwdb", "--input", FixturePaths.fixture("hwdb").path, "--quiet"]
        try Self.withOutput(holding: hwdb) { _, output, _ in
            #expect(
                Self.names(in: output).contains("characters.json")
                    && Self.names(in: output).contains("label.labels.txt"))
            let generate = try ShardKitProcess.run([
                "generate", "--output", output.path, "--records", "7", "--shards", "1", "--compression", "zlib",
                "--quiet",
                "--overwrite",
            ])
            #expect(generate.status == 0, "\(generate.standardError)")
            #expect(
                Self.names(in: output) == ["features.json", "generated-train.tfrecord-00000-of-00001", "manifest.json"])
            #expect(try Self.verify(output).status == 0)
        }
    }

    @Test func anOverwriteIntoAnEmptyOrNewFolderJustWrites() throws {
        try Self.withOutput { directory, _, _ in
            for output in [directory, directory.appendingPathComponent("new/deeper")] {
                let result = try ShardKitProcess.run([
                    "generate", "--output", output.path, "--records", "5", "--shards", "2", "--quiet", "--overwrite",
                ])
                #expect(result.status == 0, "\(result.standardError)")
                #expect(try Self.verify(output).status == 0)
            }
        }
    }

    @Test func repairAndSynthOverwriteToo() throws {
        try Self.withOutput("source", holding: Self.convertMNIST + ["--shards", "2"]) { directory, source, _ in
            let output = directory.appendingPathComponent("out")
            let synth = [
                "synth", "--digits", Self.digits, "--output", output.path, "--count", "20", "--test-count", "5",
                "--quiet",
            ]
            try #require(try ShardKitProcess.run(synth).status == 0)
            #expect(try ShardKitProcess.run(["repair", source.path, "--output", output.path, "--quiet"]).status == 73)
            let repair = try ShardKitProcess.run([
                "repair", source.path, "--output", output.path, "--quiet", "--overwrite",
            ])
            #expect(repair.status == 0, "\(repair.standardError)")
            #expect(!Self.names(in: output).contains { $0.hasPrefix("synth-") })
            #expect(try Self.verify(output).status == 0)
            let again = try ShardKitProcess.run(synth + ["--overwrite", "--seed", "4"])
            #expect(again.status == 0, "\(again.standardError)")
            #expect(!Self.names(in: output).contains { $0.hasPrefix("mnist-") || $0 == "repair-report.json" })
            #expect(try Self.verify(output).status == 0)
        }
    }

    /// The input fails after records were streamed into staging (an image cut short at record 5):
    /// exit 65, and the old dataset is as it was, byte for byte, hidden files included.
    @Test func aFailingOverwriteKeepsTheOldDatasetByteForByte() throws {
        try Self.withOutput(holding: Self.convertMNIST + ["--shards", "2"]) { _, output, before in
            let input = try ExitCodeTests.mnistFolder(
                images: "broken/mnist/truncated-images-idx3-ubyte", labels: "mnist/train-labels-idx1-ubyte")
            defer { try? FileManager.default.removeItem(at: input) }
            let failed = try ShardKitProcess.run([
                "convert", "mnist", "--input", input.path, "--output", output.path, "--overwrite", "--quiet",
            ])
            #expect(failed.status == 65, "\(failed.standardError)")
            #expect(failed.standardError.hasPrefix("shardkit: error: \(input.path)/train-images-idx3-ubyte: record 5"))
            #expect(try fileHashes(below: output) == before)
            #expect(try Self.verify(output).status == 0)
        }
    }

    /// Waits until `run` has a staging folder in `output` holding `receipts` receipts or more.
    static func waitForStaging(_ run: ShardKitRun, in output: URL, receipts: Int = 0) -> Bool {
        run.wait(timeout: 60) {
            guard let staging = names(in: output).first(where: { $0.hasPrefix(".shardkit-staging-") }) else {
                return false
            }
            return names(in: output.appendingPathComponent(staging).appendingPathComponent("receipts")).count
                >= receipts
        }
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalWhileStreamingKeepsTheOldDataset(signal: Int32, status: Int32) throws {
        try Self.withOutput("strings", holding: Self.synth + ["--count", "50"]) { _, output, before in
            let run = try ShardKitRun(Self.synth + ["--output", output.path, "--count", "5000000", "--overwrite"])
            try #require(Self.waitForStaging(run, in: output), "the overwrite never started writing")
            usleep(300_000)  // records under way
            let ending = run.stop(with: signal)
            #expect(ending.exited && ending.status == status, "\(ending.standardError)")
            #expect(ending.seconds < 1.0, "took \(ending.seconds) s to stop")
            #expect(
                ending.standardError.contains("removed \(output.path)/.shardkit-staging-"), "\(ending.standardError)")
            #expect(try fileHashes(below: output) == before)
            #expect(try Self.verify(output).status == 0)
        }
    }

    /// `generate` with 200 shards: its commit sets 400 old files aside and moves 400 new ones in,
    /// long enough to be caught in the middle by watching the old manifest go. Without `--output`
    /// when `output` is nil (for `withOutput`).
    static func generate(_ output: URL?, records: Int, shards: Int = 200, overwrite: Bool = false) -> [String] {
        ["generate"] + (output.map { ["--output", $0.path] } ?? [])
            + ["--records", String(records), "--shards", String(shards), "--quiet"] + (overwrite ? ["--overwrite"] : [])
    }

    /// Starts an overwrite and returns once its commit has set the old manifest aside, or nil if
    /// the run ended first.
    static func runUntilTheCommitStarts(_ arguments: [String], output: URL) throws -> ShardKitRun? {
        let manifest = output.appendingPathComponent("manifest.json").path
        let run = try ShardKitRun(arguments)
        let deadline = Date().addingTimeInterval(120)
        while access(manifest, F_OK) == 0 && run.process.isRunning && Date() < deadline {}
        return access(manifest, F_OK) != 0 && run.process.isRunning ? run : nil
    }

    @Test func aSignalDuringTheCommitPutsTheOldDatasetBack() throws {
        try Self.withOutput("generated", holding: Self.generate(nil, records: 400)) { _, output, before in
            // The same shard names with other bytes: old and new files of one name meet.
            let run = try #require(
                try Self.runUntilTheCommitStarts(Self.generate(output, records: 600, overwrite: true), output: output),
                "the overwrite ended before its commit was seen")
            let ending = run.stop(with: SIGINT)
            #expect(ending.exited && ending.status == 130, "\(ending.standardError)")
            #expect(try fileHashes(below: output) == before)
            #expect(try Self.verify(output).status == 0)
        }
    }

    /// `kill -9` at moments of the commit: the folder never looks complete unless it holds the new
    /// dataset whole; the next run into it (here one that is refused, 73) restores the old dataset,
    /// saying so, and `verify` passes on what is there: the old dataset or the new one, exactly.
    @Test func killNineDuringTheCommitIsRepairedByTheNextRun() throws {
        try Self.withOutput("generated", holding: Self.generate(nil, records: 400)) { directory, output, old in
            let reference = directory.appendingPathComponent("reference")
            try #require(try ShardKitProcess.run(Self.generate(reference, records: 300, shards: 150)).status == 0)
            let new = try fileHashes(below: reference)
            var restored = 0
            // From the old manifest's leaving (0) to the removal of the set-aside files after the new one.
            for delay: useconds_t in [0, 2_000, 20_000, 60_000, 150_000, 400_000] {
                if try fileHashes(below: output) != old {
                    try FileManager.default.removeItem(at: output)
                    try #require(try ShardKitProcess.run(Self.generate(output, records: 400)).status == 0)
                }
                guard
                    let run = try Self.runUntilTheCommitStarts(
                        Self.generate(output, records: 300, shards: 150, overwrite: true), output: output)
                else {
                    Issue.record("the overwrite ended before its commit was seen")
                    continue
                }
                usleep(delay)
                let ending = run.stop(with: SIGKILL)
                if ending.exited { continue }  // finished before the kill
                let manifest = FileManager.default.fileExists(
                    atPath: output.appendingPathComponent("manifest.json").path)
                if !manifest { #expect(try Self.verify(output).status != 0, "a half-replaced folder passes verify") }
                let next = try ShardKitProcess.run(Self.generate(output, records: 10, shards: 1))
                #expect(next.status == 73, "\(next.standardError)")
                let after = try fileHashes(below: output)
                #expect(after == old || after == new, "neither dataset: \(after.keys.sorted())")
                #expect(try Self.verify(output).status == 0)
                if after == old {
                    restored += 1
                    #expect(next.standardError.contains("restored the dataset that process"), "\(next.standardError)")
                }
            }
            #expect(restored >= 2, "only \(restored) kills landed inside the commit")
        }
    }

    /// A killed overwrite is resumed with `--overwrite --resume`: the shards it finished are
    /// kept, the old dataset stays until the commit, and the result is the uninterrupted run's.
    @Test func overwriteWithResumeContinuesAKilledOverwrite() throws {
        let synth = Self.synth + ["--shards", "8"]
        try Self.withOutput("strings", holding: synth + ["--count", "40"]) { directory, output, old in
            let arguments = synth + ["--output", output.path, "--count", "8000", "--seed", "9", "--overwrite"]
            let run = try ShardKitRun(arguments)
            try #require(Self.waitForStaging(run, in: output, receipts: 2), "the overwrite never finished a shard")
            let ending = run.stop(with: SIGKILL)
            try #require(!ending.exited, "the overwrite finished before the kill")
            // The old dataset is untouched beside the killed run's staging folder.
            #expect(try fileHashes(below: output).filter { !$0.key.hasPrefix(".shardkit-") } == old)

            let refused = try ShardKitProcess.run(Array(arguments.dropLast()) + ["--resume"])
            #expect(refused.status == 73, "\(refused.standardError)")
            let resumed = try ShardKitProcess.run(arguments + ["--resume"])
            #expect(resumed.status == 0, "\(resumed.standardError)")
            #expect(resumed.standardError.contains("resuming the run of process"), "\(resumed.standardError)")
            let reference = directory.appendingPathComponent("reference")
            let fresh = try ShardKitProcess.run(
                synth + ["--output", reference.path, "--count", "8000", "--seed", "9"])
            try #require(fresh.status == 0)
            try ScaleOutTests.expectSameTree(reference, output)
        }
    }

    @Test func overwriteWithAWorkerIsAUsageError() throws {
        try Self.withOutput(holding: Self.convertMNIST + ["--shards", "2"]) { _, output, before in
            for environment: [String: String?] in [[:], ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"]] {
                let worker = environment.isEmpty ? ["--worker", "0/2"] : []
                let result = try ShardKitProcess.run(
                    [
                        "convert", "mnist", "--input", Self.mnist, "--output", output.path, "--shards", "2",
                        "--overwrite",
                    ]
                        + worker, environment: environment)
                #expect(result.status == 64, "\(result.standardError)")
                #expect(result.standardError.contains("--overwrite cannot be given to a worker"))
            }
            #expect(try fileHashes(below: output) == before)
        }
    }

    /// The output lock holds for overwrites too: a second run while one overwrites exits 75 and
    /// changes nothing; the first one completes.
    @Test func aSecondWriterDuringAnOverwriteIs75() throws {
        try Self.withOutput("strings", holding: Self.synth + ["--count", "50"]) { _, output, _ in
            let first = try ShardKitRun(Self.synth + ["--output", output.path, "--count", "20000", "--overwrite"])
            try #require(Self.waitForStaging(first, in: output))
            let second = try ShardKitProcess.run(
                Self.synth + ["--output", output.path, "--count", "10", "--overwrite"])
            #expect(second.status == 75, "\(second.standardError)")
            #expect(second.standardError.contains("another shardkit run is writing into this output"))
            first.process.waitUntilExit()
            #expect(first.process.terminationStatus == 0)
            let verify = try ShardKitProcess.run(["verify", output.path, "--quiet"])
            #expect(verify.status == 0, "\(verify.standardOutput)")
            #expect(verify.standardOutput.contains("20000 records"), "\(verify.standardOutput)")
        }
    }
}
