import Foundation
import ShardKitSupport
import TestSupport
import Testing

/// `kill -9` at 20 moments of `convert`, `synth` and `train`, where nothing can clean up (issue 12).
///
/// The moments come from one seed: `SHARDKIT_CRASH_SEED` replays a run; without it every run
/// draws a new one. The seed, each moment and the stage each kill hit are printed. Moments are
/// fractions of an uninterrupted run's duration, measured first and again whenever a whole run
/// is timed (a rerun from scratch, a run that ended before its kill and is tried again with the
/// next moment), so that they spread over the whole run whatever the build and the machine's
/// load; one in five waits for a short stage first (a step of a dataset's commit, a checkpoint
/// being written), which a uniform moment rarely hits.
///
/// After each kill of a dataset writer, `verify` never passes what is left unless the commit was
/// complete (66 when there is nothing to check, 1 otherwise), and a rerun into the same output,
/// plainly or with `--resume` in turn, leaves every file of the folder (shards, index files, side
/// files, the manifest, hidden files too) byte for byte as an uninterrupted run's. After each
/// kill of `train --jobs 1`, `--resume` continues at the last checkpoint's step, and the final
/// checkpoints equal an uninterrupted run's bit for bit (which they cannot without the optimizer
/// state: Adam's moments and step count, the data position).
@Suite struct CrashTests {
    static let kills = 20

    /// The run's seed: `SHARDKIT_CRASH_SEED`, else a new one (printed, to replay the run).
    static let seed: UInt64 =
        ProcessInfo.processInfo.environment["SHARDKIT_CRASH_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 0..<(1 << 32))

    /// Uniform in [0, 1).
    static func fraction(_ rng: inout SeededGenerator) -> Double { Double(rng.next() >> 11) / Double(1 << 53) }

    /// Sleeps until `seconds` after `start`.
    static func sleep(until seconds: Double, after start: Date) {
        let left = seconds - Date().timeIntervalSince(start)
        if left > 0 { usleep(useconds_t(left * 1e6)) }
    }

    /// Sleeps until `seconds` after `start`, watching `process`: returns how long it ran when it
    /// ended first (nil when it still runs).
    static func sleep(until seconds: Double, after start: Date, watching process: Process) -> Double? {
        while true {
            let elapsed = Date().timeIntervalSince(start)
            if !process.isRunning { return elapsed }
            if elapsed >= seconds { return nil }
            usleep(useconds_t(max(50, min(1000, (seconds - elapsed) * 1e6))))
        }
    }

    /// At most this many runs per test: a run that ends before its kill is run again with the
    /// next moment (and the moments scale to its duration), so that 20 kills happen.
    static let attempts = kills + 10

    static func names(_ directory: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    }

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// Starts `shardkit arguments`, its standard output into `log` (readable after a kill).
    static func launch(_ arguments: [String], log: URL? = nil) throws -> Process {
        let process = Process()
        process.executableURL = ShardKitProcess.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] { environment[name] = nil }
        process.environment = environment
        var handle: FileHandle?
        if let log {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            handle = try FileHandle(forWritingTo: log)
        }
        process.standardOutput = handle ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try handle?.close()  // the child has its own copy
        return process
    }

    /// Kills `process` with SIGKILL; false when it had already exited by itself.
    static func killNine(_ process: Process) -> Bool {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    // MARK: Dataset writers

    /// A dataset-writing command: its label, the dataset's name (the shards' prefix) and its
    /// arguments for an output folder.
    struct Writer {
        var label: String
        var name: String
        var arguments: (URL) -> [String]
    }

    @Test func convertKilledAt20Moments() throws {
        try Self.crash(
            Writer(label: "convert", name: "mnist") { output in
                [
                    "convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--output", output.path,
                    "--shards", "10", "--augment", "crop=26,resize=28", "--copies", "600", "--jobs", "2", "--quiet",
                ]
            })
    }

    @Test func synthKilledAt20Moments() throws {
        try Self.crash(
            Writer(label: "synth", name: "synth") { output in
                [
                    "synth", "--digits", FixturePaths.fixture("digits").path, "--output", output.path,
                    "--count", "6000", "--test-count", "600", "--shards", "10", "--image-encoding", "png",
                    "--jobs", "2", "--quiet",
                ]
            })
    }

    /// The steps of a commit, each with what marks its start in the output folder.
    enum CommitStep: String, CaseIterable {
        case movingShards = "the first shard placed"
        case sideFiles = "dataset_info.json written"
        case afterManifest = "manifest.json written"

        func started(_ names: [String], dataset: String) -> Bool {
            switch self {
            case .movingShards: names.contains { $0.hasPrefix("\(dataset)-") }
            case .sideFiles: names.contains("dataset_info.json")
            case .afterManifest: names.contains("manifest.json")
            }
        }
    }

    /// How long an uninterrupted run takes, and each step of its commit: from its mark to the
    /// next one's, the last to the process's end (polled; at least 1 ms each).
    static func timeReference(_ writer: Writer, output: URL) throws -> (run: Double, steps: [CommitStep: Double]) {
        let start = Date()
        let process = try launch(writer.arguments(output))
        var marks: [CommitStep: Double] = [:]
        while process.isRunning {
            let found = names(output)
            let now = Date().timeIntervalSince(start)
            for step in CommitStep.allCases where marks[step] == nil && step.started(found, dataset: writer.name) {
                marks[step] = now
            }
            usleep(200)
        }
        process.waitUntilExit()
        let run = Date().timeIntervalSince(start)
        #expect(process.terminationStatus == 0, "the uninterrupted \(writer.label) failed")
        let ends = CommitStep.allCases.dropFirst().map { marks[$0] ?? run } + [run]
        var steps: [CommitStep: Double] = [:]
        for (step, end) in zip(CommitStep.allCases, ends) { steps[step] = max(0.001, end - (marks[step] ?? run)) }
        return (run, steps)
    }

    /// Where a kill left a dataset writer, from what it left in `output`.
    static func stage(of writer: Writer, output: URL, pid: Int32, shards: Int) -> String {
        guard exists(output) else { return "starting: no output folder yet" }
        let top = names(output)
        let staging = output.appendingPathComponent(".shardkit-staging-\(pid)")
        let placed = top.filter { $0.hasPrefix("\(writer.name)-") }.count
        if top.contains("manifest.json") {
            return exists(staging)
                ? "commit: manifest written, staging folder not yet removed"
                : "commit complete, lock not yet released"
        }
        if let writing = top.first(where: { $0.hasPrefix(".") && $0.hasSuffix(".tmp-\(pid)") }) {
            return
                "commit: writing \(writing.dropFirst().dropLast(".tmp-\(pid)".count)), \(placed) of \(shards) shards in place"
        }
        if placed > 0 || top.contains("dataset_info.json") {
            return "commit: \(placed) of \(shards) shards moved into place"
                + (top.contains("dataset_info.json") ? ", side files written, no manifest" : "")
        }
        guard exists(staging) else { return "starting: output folder locked, no staging folder yet" }
        guard exists(staging.appendingPathComponent("fingerprint.json")) else { return "starting: staging folder made" }
        let receipts = names(staging.appendingPathComponent("receipts")).filter { $0.hasSuffix(".receipt.json") }.count
        let open = names(staging).filter { $0.hasPrefix("\(writer.name)-") }.count - receipts
        if receipts == 0 && open == 0 { return "reading and encoding: no shard file yet" }
        return "writing shards and index files: \(receipts) of \(shards) complete, \(open) open"
    }

    /// `kill -9` of `writer` at 20 moments, each into a folder of its own, each followed by
    /// `verify` and a rerun (plain for even kills, `--resume` for odd ones).
    static func crash(_ writer: Writer) throws {
        let scratch = try FixturePaths.makeScratchDirectory("shardkit-crash-\(writer.label)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let reference = scratch.appendingPathComponent("reference")
        let timing = try timeReference(writer, output: reference)
        let expected = try fileHashes(below: reference)
        let shards = expected.keys.filter { $0.hasPrefix("\(writer.name)-") }.count
        let replay = "replay with SHARDKIT_CRASH_SEED=\(seed)"
        let steps = CommitStep.allCases.map { "\($0.rawValue) +\(format(timing.steps[$0]! * 1000)) ms" }
        print(
            "CrashTests \(writer.label): seed \(seed) (\(replay)); uninterrupted run \(format(timing.run)) s, "
                + "\(shards) shards; commit: \(steps.joined(separator: ", "))")
        var rng = RecordKey(writer.label).generator(seed: seed)
        // The run's duration as last measured: the machine's load changes while the test runs.
        var estimate = timing.run
        var (killed, attempt) = (0, 0)
        // Runs that ended before this kill's moment: each halves the next moment, so a kill in a
        // step of a few milliseconds (after the manifest) lands on a loaded machine too.
        var missed = 0
        while killed < kills && attempt < attempts {
            attempt += 1
            let i = killed
            let output = scratch.appendingPathComponent("killed-\(attempt)")
            // Kills 5, 10, 15 and 20 fall in a step of the commit (moving shards, side files and
            // manifest, after the manifest, moving shards), at a moment counted from its mark.
            let commitStep = i % 5 == 4 ? [CommitStep.movingShards, .sideFiles, .afterManifest][(i / 5) % 3] : nil
            let resume = i % 2 == 1
            let moment =
                fraction(&rng) * (commitStep.map { timing.steps[$0]! } ?? estimate) * pow(0.5, Double(missed))
            let start = Date()
            let process = try launch(writer.arguments(output))
            let pid = process.processIdentifier
            var when = "\(format(moment)) s after the start"
            if let commitStep {
                while process.isRunning && !commitStep.started(names(output), dataset: writer.name) { usleep(200) }
                let marked = Date()
                sleep(until: moment, after: marked)
                when =
                    "\(format(moment * 1000)) ms after \(commitStep.rawValue) (\(format(marked.timeIntervalSince(start))) s)"
            } else if let ran = sleep(until: moment, after: start, watching: process) {
                estimate = ran
            }
            guard killNine(process) else {
                print(
                    "CrashTests \(writer.label) kill \(i + 1), attempt \(attempt): \(when): the run had finished; again"
                )
                #expect(process.terminationStatus == 0)
                #expect(try fileHashes(below: output) == expected, "\(replay)")
                try? FileManager.default.removeItem(at: output)
                missed += 1
                continue
            }
            killed += 1
            missed = 0
            let stage = stage(of: writer, output: output, pid: pid, shards: shards)
            let staging = output.appendingPathComponent(".shardkit-staging-\(pid)")
            let (hadStaging, hadFingerprint) = (
                exists(staging), exists(staging.appendingPathComponent("fingerprint.json"))
            )
            let complete = exists(output.appendingPathComponent("manifest.json"))
            let temporaries = names(output).filter { $0.hasPrefix(".") && $0.hasSuffix(".tmp-\(pid)") }
            let context = "\(writer.label) kill \(i + 1) (attempt \(attempt)) at \(when) (\(stage)); \(replay)"

            // verify: never a pass for an unfinished dataset; the exact code for what is there.
            let verify = try ShardKitProcess.run(["verify", output.path, "--quiet"])
            let recordFiles = names(output).contains { $0.hasPrefix("\(writer.name)-") && !$0.hasSuffix(".index") }
            let wanted: Int32 = complete ? (hadStaging ? 1 : 0) : (recordFiles ? 1 : 66)
            #expect(verify.status == wanted, "verify: \(verify.standardOutput)\(verify.standardError) after \(context)")
            if !complete { #expect(verify.status != 0, "a killed run looks complete after \(context)") }
            if hadStaging && recordFiles {
                #expect(verify.standardOutput.contains("\(staging.path): staging folder left by an interrupted run"))
            }

            // The rerun: a complete dataset is refused (73), anything else is written again.
            let rerunStart = Date()
            let rerun = try ShardKitProcess.run(writer.arguments(output) + (resume ? ["--resume"] : []))
            if !resume && !complete { estimate = Date().timeIntervalSince(rerunStart) }
            #expect(rerun.status == (complete ? 73 : 0), "rerun: \(rerun.standardError) after \(context)")
            let removedNote = "shardkit: removed \(staging.path), left by a run that ended (process \(pid))"
            if recordFiles && !complete {
                // A commit cut short: the shards it had placed go back into its staging folder first.
                #expect(
                    rerun.standardError.contains(
                        "back into \(staging.path): process \(pid) ended while it moved them into place"),
                    "\(rerun.standardError) after \(context)")
            }
            for name in temporaries {
                #expect(
                    rerun.standardError.contains(
                        "shardkit: removed \(output.appendingPathComponent(name).path), left by a run that ended (process \(pid))"
                    ),
                    "\(rerun.standardError) after \(context)")
            }
            if resume && hadFingerprint && !complete {
                #expect(
                    rerun.standardError.contains("shardkit: resuming the run of process \(pid) (\(staging.path))"),
                    "\(rerun.standardError) after \(context)")
            } else if hadStaging {
                #expect(rerun.standardError.contains(removedNote), "\(rerun.standardError) after \(context)")
            }
            let got = try fileHashes(below: output)
            let same = got == expected
            let differing = Set(got.keys).union(expected.keys).filter { got[$0] != expected[$0] }.sorted()
            #expect(same, "after the rerun these files differ from the uninterrupted run's: \(differing); \(context)")
            print(
                "CrashTests \(writer.label) kill \(i + 1), attempt \(attempt): \(when): \(stage) -> verify \(verify.status), "
                    + "rerun\(resume ? " --resume" : ""): \(rerun.status), \(same ? "identical" : "DIFFERENT")")
            try? FileManager.default.removeItem(at: output)
        }
        #expect(killed == kills, "only \(killed) of \(attempt) runs were killed before they finished; \(replay)")
    }

    // MARK: Training

    static func train(_ data: URL, run: URL, _ extra: [String] = []) -> [String] {
        [
            "train", "--data", data.path, "--model", "classifier", "--batch", "4", "--jobs", "1", "--steps", "8",
            "--checkpoint-every", "1", "--log-every", "1", "--run-dir", run.path,
        ] + extra
    }

    static func temporaryCheckpoints(_ run: URL) -> [String] {
        names(run).filter { $0.hasPrefix(".latest.safetensors.tmp-") || $0.hasPrefix(".best.safetensors.tmp-") }
    }

    /// Where a kill left `train`, from its run directory and the progress lines it printed.
    static func stage(run: URL, log: URL, checkpointStep: Int?) -> String {
        guard exists(run.appendingPathComponent("config.json")) else { return "starting: no config.json yet" }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        // The last complete line (a kill may cut one short).
        let last = text.split(separator: "\n").dropLast(text.hasSuffix("\n") ? 0 : 1).last.map(String.init)
        let previous = checkpointStep.map { "step \($0)" } ?? "none"
        if let writing = temporaryCheckpoints(run).first {
            let file = writing.hasPrefix(".best") ? "best" : "latest"
            return "writing \(file).safetensors (checkpoint in place: \(previous))"
        }
        guard let checkpointStep else { return "before the first checkpoint" }
        guard let last else { return "no progress line yet (checkpoint in place: step \(checkpointStep))" }
        if last.hasPrefix("validation") {
            // "validation (test) after step K: …"
            let validated = last.split(separator: ":").first?.split(separator: " ").last.flatMap { Int($0) }
            return validated == checkpointStep
                ? "after the validation and checkpoint of step \(checkpointStep), step \(checkpointStep + 1) under way"
                : "after the validation at step \(validated.map(String.init) ?? "?"), its checkpoint not yet in place"
        }
        let logged = last.split(separator: " ").dropFirst().first?.split(separator: "/").first.flatMap { Int($0) }
        if logged == checkpointStep {
            return "mid-step \(checkpointStep + 1) (checkpoint of step \(checkpointStep) in place)"
        }
        return
            "step \(logged.map(String.init) ?? "?") done, its checkpoint not yet in place (checkpoint: step \(checkpointStep))"
    }

    /// `train --jobs 1` killed at 20 moments, each in a run directory of its own; each is resumed
    /// to its end (or, killed before its first checkpoint, refused with 66 and run again with
    /// --overwrite) and compared with an uninterrupted run: 8 steps of Adam, a checkpoint every
    /// step, an epoch boundary with validation at step 5.
    @Test func trainKilledAt20Moments() throws {
        let scratch = try TrainInterruptTests.tinyDataset()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("data")
        let reference = scratch.appendingPathComponent("reference")
        let started = Date()
        let whole = try ShardKitProcess.run(Self.train(data, run: reference))
        let duration = Date().timeIntervalSince(started)
        #expect(whole.status == 0, "\(whole.standardError)")
        let want = try ["latest.safetensors", "best.safetensors"].map {
            try Data(contentsOf: reference.appendingPathComponent($0))
        }
        let replay = "replay with SHARDKIT_CRASH_SEED=\(Self.seed)"
        print("CrashTests train: seed \(Self.seed) (\(replay)); uninterrupted run \(Self.format(duration)) s")
        var rng = RecordKey("train").generator(seed: Self.seed)
        // The run's duration as last measured: the machine's load changes while the test runs.
        var estimate = duration
        var (killed, attempt) = (0, 0)
        while killed < Self.kills && attempt < Self.attempts {
            attempt += 1
            let i = killed
            let run = scratch.appendingPathComponent("run-\(attempt)")
            let log = scratch.appendingPathComponent("run-\(attempt).log")
            let atCheckpoint = i % 5 == 4
            let moment = Self.fraction(&rng) * estimate
            let start = Date()
            let process = try Self.launch(Self.train(data, run: run), log: log)
            if let ran = Self.sleep(until: moment, after: start, watching: process) { estimate = ran }
            var when = "\(Self.format(moment)) s after the start"
            if atCheckpoint {
                // Then the next checkpoint being written.
                while process.isRunning && Self.temporaryCheckpoints(run).isEmpty { usleep(100) }
                when += ", then the next checkpoint write (at \(Self.format(Date().timeIntervalSince(start))) s)"
            }
            guard Self.killNine(process) else {
                print("CrashTests train kill \(i + 1), attempt \(attempt): \(when): the run had finished; again")
                continue
            }
            killed += 1
            let latest = run.appendingPathComponent("latest.safetensors")
            let step =
                Self.exists(latest) ? try TrainInterruptTests.metadata(latest.path)["step"].flatMap { Int($0) } : nil
            let stage = Self.stage(run: run, log: log, checkpointStep: step)
            let leftover = Self.temporaryCheckpoints(run)
            let context = "train kill \(i + 1) (attempt \(attempt)) at \(when) (\(stage)); \(replay)"
            let outcome: String
            if let step {
                let resumed = try ShardKitProcess.run(Self.train(data, run: run, ["--resume"]))
                #expect(resumed.status == 0, "\(resumed.standardError) after \(context)")
                #expect(
                    resumed.standardOutput.contains("resumed from \(latest.path) at step \(step)\n"),
                    "\(resumed.standardOutput) after \(context)")
                for name in leftover {
                    #expect(
                        resumed.standardOutput.contains(
                            "removed \(run.appendingPathComponent(name).path), left by a run that was killed"),
                        "\(resumed.standardOutput) after \(context)")
                }
                outcome = "--resume at step \(step): \(resumed.status)"
            } else {
                let refused = try ShardKitProcess.run(Self.train(data, run: run, ["--resume"]))
                #expect(refused.status == 66, "\(refused.standardError) after \(context)")
                #expect(refused.standardError.contains("--resume: no checkpoint to resume from"), "\(context)")
                let againStart = Date()
                let again = try ShardKitProcess.run(Self.train(data, run: run, ["--overwrite"]))
                estimate = Date().timeIntervalSince(againStart)
                #expect(again.status == 0, "\(again.standardError) after \(context)")
                outcome = "--resume: 66, --overwrite: \(again.status)"
            }
            let got = ["latest.safetensors", "best.safetensors"].map {
                try? Data(contentsOf: run.appendingPathComponent($0))
            }
            let same = got == want
            #expect(same, "the final checkpoints differ from the uninterrupted run's after \(context)")
            #expect(Self.temporaryCheckpoints(run).isEmpty, "\(context)")
            #expect(
                !Self.exists(run.appendingPathComponent(".shardkit-lock")), "the lock file outlived the run: \(context)"
            )
            print(
                "CrashTests train kill \(i + 1), attempt \(attempt): \(when): \(stage) -> \(outcome), "
                    + (same ? "bit-identical" : "DIFFERENT"))
            try? FileManager.default.removeItem(at: run)
        }
        #expect(killed == Self.kills, "only \(killed) of \(attempt) runs were killed before they finished; \(replay)")
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}

/// One `train` per run directory: a second one into the folder a run is writing fails at once
/// with exit 75 (as a second dataset writer does), whatever its flags, and changes nothing;
/// `eval` and `predict` read the same folder meanwhile (checkpoints are replaced by rename, so
/// they need no lock). The lock goes with the run: after its end, after SIGINT, after `kill -9`.
@Suite struct TrainRunLockTests {
    static func runFiles(_ run: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: run.path) where !name.hasPrefix(".") {
            files[name] = try Data(contentsOf: run.appendingPathComponent(name))
        }
        return files
    }

    @Test func aSecondTrainerIntoTheSameRunDirectoryFailsWith75() throws {
        let scratch = try TrainInterruptTests.tinyDataset()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("data")
        let run = scratch.appendingPathComponent("run")
        let lockFile = run.appendingPathComponent(".shardkit-lock").path
        func train(_ extra: [String], steps: Int = 5000, directory: [String]? = nil) -> [String] {
            [
                "train", "--data", data.path, "--model", "classifier", "--batch", "4", "--jobs", "1", "--steps",
                String(steps), "--checkpoint-every", "1", "--quiet",
            ] + (directory ?? ["--run-dir", run.path]) + extra
        }
        let first = try TrainInterruptTests.Running(train([]))
        let latest = run.appendingPathComponent("latest.safetensors").path
        #expect(
            TrainInterruptTests.waitForNewFile(latest, other: nil, while: first.process), "no checkpoint was written")
        #expect(FileManager.default.fileExists(atPath: lockFile))

        let busy =
            "shardkit: error: \(run.path): another shardkit train is writing into this run directory; "
            + "wait for it to end or choose another --run-dir\n"
        for (extra, directory) in [
            ([], nil), (["--resume"], nil), (["--overwrite"], nil), ([], ["--logdir", run.path]),
        ] as [([String], [String]?)] {
            let started = Date()
            let second = try ShardKitProcess.run(train(extra, directory: directory))
            #expect(Date().timeIntervalSince(started) < 10, "the second trainer waited")
            #expect(second.status == 75, "\(extra) \(directory ?? []): \(second.standardError)")
            #expect(second.standardError.hasSuffix(busy), "\(second.standardError)")
            #expect(first.process.isRunning, "the first run ended early: the second one disturbed it")
        }
        // Reading needs no lock: eval and predict use the checkpoints while the run writes them.
        let eval = try ShardKitProcess.run(["eval", "--run-dir", run.path, "--data", data.path, "--split", "test"])
        #expect(eval.status == 0, "\(eval.standardError)")
        #expect(eval.standardOutput.hasPrefix("classifier on test (10 images):\n"), "\(eval.standardOutput)")
        let image = FixturePaths.fixture("svhn/test/1.png").path
        let predict = try ShardKitProcess.run(["predict", "--run-dir", run.path, image])
        #expect(predict.status == 0, "\(predict.standardError)")
        #expect(predict.standardOutput.hasPrefix(image + ": "), "\(predict.standardOutput)")
        #expect(first.process.isRunning)

        // SIGINT keeps the last checkpoint and lets go of the lock (its file too).
        kill(first.process.processIdentifier, SIGINT)
        let (status, text, _) = first.finish()
        #expect(status == 130, "\(text)")
        #expect(!FileManager.default.fileExists(atPath: lockFile))
        let kept = try TrainInterruptTests.metadata(latest)["step"].flatMap { Int($0) } ?? 0

        // kill -9 leaves the lock file, not the lock: the next run takes it over, and removes it at its end.
        let killed = try TrainInterruptTests.Running(train(["--resume"], steps: kept + 200))
        #expect(
            TrainInterruptTests.waitForNewFile(latest, other: TrainInterruptTests.inode(latest), while: killed.process))
        kill(killed.process.processIdentifier, SIGKILL)
        #expect(killed.finish().signalled)
        #expect(FileManager.default.fileExists(atPath: lockFile))
        let step = try TrainInterruptTests.metadata(latest)["step"].flatMap { Int($0) } ?? 0
        let resumed = try ShardKitProcess.run(train(["--resume"], steps: step + 1))
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(!FileManager.default.fileExists(atPath: lockFile))

        // A run refused because the folder holds a run (73) leaves no lock file either, and changes nothing.
        let before = try Self.runFiles(run)
        let refused = try ShardKitProcess.run(train([]))
        #expect(refused.status == 73, "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: lockFile))
        #expect(try Self.runFiles(run) == before)
    }

    /// Two trainers started together into a new folder: exactly one trains, the other exits 75;
    /// the folder holds one run's files (one event file), and no lock file.
    @Test func twoTrainersStartedTogetherIntoANewFolder() throws {
        let scratch = try TrainInterruptTests.tinyDataset()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("data")
        let run = scratch.appendingPathComponent("runs/new")
        let arguments = [
            "train", "--data", data.path, "--model", "classifier", "--batch", "4", "--jobs", "1", "--steps", "3",
            "--run-dir", run.path, "--quiet",
        ]
        let a = try TrainInterruptTests.Running(arguments)
        let b = try TrainInterruptTests.Running(arguments)
        let (ra, rb) = (a.finish(), b.finish())
        let statuses = [ra.status, rb.status].sorted()
        // The second may also come after the first ended: then the folder holds a run (73).
        #expect(statuses == [0, 75] || statuses == [0, 73], "\(ra.standardError)\(rb.standardError)")
        let names = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        #expect(names.filter { $0.hasPrefix("events.out.tfevents.") }.count == 1, "\(names)")
        #expect(
            names.filter { !$0.hasPrefix("events.out.tfevents.") } == [
                "best.safetensors", "config.json", "latest.safetensors",
            ])
    }
}
