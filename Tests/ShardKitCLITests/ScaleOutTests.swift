import Foundation
import TestSupport
import Testing

/// Scale-out and resume through the real binary: N worker processes and `commit` give exactly the
/// bytes of one process, for every format's fixtures; a killed worker is named by `commit` and a
/// rerun completes it; `--resume` after `kill -9` gives the uninterrupted bytes; a second worker
/// with the same slot, other options on resume, and missing flags fail with their exit codes.
@Suite struct ScaleOutTests {
    /// Every file below `directory` (hidden ones included), relative path → bytes.
    static func tree(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let walker = try #require(FileManager.default.enumerator(atPath: directory.path))
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = directory.appendingPathComponent(path).path
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return files
    }

    static func expectSameTree(_ a: URL, _ b: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (left, right) = (try tree(a), try tree(b))
        #expect(left.keys.sorted() == right.keys.sorted(), sourceLocation: sourceLocation)
        for (path, bytes) in left where right[path] != bytes {
            Issue.record("\(path) differs", sourceLocation: sourceLocation)
        }
    }

    static let formats: [(format: String, extra: [String])] = [
        ("mnist", []), ("cifar10", []), ("cifar100", []), ("svhn", ["--seed", "3"]), ("hwdb", []),
    ]

    @Test(arguments: formats.map(\.format), [1, 2, 3, 7])
    func workersThenCommitGiveOneProcessBytes(format: String, workers: Int) throws {
        let extra = Self.formats.first { $0.format == format }!.extra
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = ["convert", format, "--input", FixturePaths.fixture(format).path, "--shards", "2", "--quiet"] + extra
        let reference = directory.appendingPathComponent("one")
        let one = try ShardKitProcess.run(common + ["--output", reference.path])
        try #require(one.status == 0, "\(one.standardError)")
        let output = directory.appendingPathComponent("workers")
        for i in 0..<workers {
            let run = try ShardKitProcess.run(common + ["--output", output.path, "--worker", "\(i)/\(workers)"])
            #expect(run.status == 0, "worker \(i)/\(workers): \(run.standardError)")
            let shards = format == "svhn" ? 6 : 4  // 2 per split
            if i * shards / workers == (i + 1) * shards / workers {
                #expect(run.standardOutput.contains("nothing to do"), "\(run.standardOutput)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
        let commit = try ShardKitProcess.run(["commit", output.path])
        #expect(commit.status == 0, "\(commit.standardError)")
        try Self.expectSameTree(reference, output)
        let again = try ShardKitProcess.run(["commit", output.path])
        #expect(again.status == 0 && again.standardOutput.contains("already committed"), "\(again.standardOutput)")
    }

    /// synth splits its shards among workers the same way; each makes only its own records.
    @Test(arguments: [1, 2, 3, 7])
    func synthWorkersThenCommitGiveOneProcessBytes(workers: Int) throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = [
            "synth", "--digits", FixturePaths.fixture("digits").path, "--count", "120", "--test-count", "30",
            "--seed", "7", "--shards", "3", "--quiet",
        ]
        let reference = directory.appendingPathComponent("one")
        #expect(try ShardKitProcess.run(common + ["--output", reference.path]).status == 0)
        let output = directory.appendingPathComponent("workers")
        for i in 0..<workers {
            let run = try ShardKitProcess.run(common + ["--output", output.path, "--worker", "\(i)/\(workers)"])
            #expect(run.status == 0, "\(run.standardError)")
        }
        let commit = try ShardKitProcess.run(["commit", output.path])
        #expect(commit.status == 0, "\(commit.standardError)")
        try Self.expectSameTree(reference, output)
    }

    /// The slot comes from a Slurm array (one that starts at 1) when `--worker` is not given, and
    /// the log says so; `JOB_COMPLETION_INDEX` needs `--workers`.
    @Test func slotFromTheEnvironment() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = ["convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--shards", "3"]
        let reference = directory.appendingPathComponent("one")
        #expect(try ShardKitProcess.run(common + ["--output", reference.path, "--quiet"]).status == 0)
        let output = directory.appendingPathComponent("slurm")
        for task in 1...3 {
            let run = try ShardKitProcess.run(
                common + ["--output", output.path],
                environment: [
                    "SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3",
                    "JOB_COMPLETION_INDEX": nil,
                ])
            #expect(run.status == 0, "\(run.standardError)")
            #expect(run.standardError.contains("worker \(task - 1)/3 (from SLURM_ARRAY_TASK_ID=\(task)"), "\(run.standardError)")
        }
        #expect(try ShardKitProcess.run(["commit", output.path]).status == 0)
        try Self.expectSameTree(reference, output)

        let indexed = try ShardKitProcess.run(
            common + ["--output", directory.appendingPathComponent("k8s").path],
            environment: ["JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": nil])
        #expect(indexed.status == 64)
        #expect(indexed.standardError.contains("--workers"), "\(indexed.standardError)")
        let k8s = try ShardKitProcess.run(
            common + ["--output", directory.appendingPathComponent("k8s").path, "--workers", "2", "--quiet"],
            environment: ["JOB_COMPLETION_INDEX": "1", "SLURM_ARRAY_TASK_ID": nil])
        #expect(k8s.status == 0, "\(k8s.standardError)")
    }

    @Test func usageErrors() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = ["convert", "mnist", "--input", FixturePaths.fixture("mnist").path]
        let noShards = try ShardKitProcess.run(common + ["--output", directory.appendingPathComponent("a").path, "--worker", "0/2"])
        #expect(noShards.status == 64)
        #expect(noShards.standardError.contains("--shards"), "\(noShards.standardError)")
        let badSlot = try ShardKitProcess.run(
            common + ["--output", directory.appendingPathComponent("b").path, "--shards", "2", "--worker", "2/2"])
        #expect(badSlot.status == 64, "\(badSlot.standardError)")
        let resumeSize = try ShardKitProcess.run(common + ["--output", directory.appendingPathComponent("c").path, "--resume"])
        #expect(resumeSize.status == 64, "\(resumeSize.standardError)")
        let nothing = try ShardKitProcess.run(["commit", directory.appendingPathComponent("none").path])
        #expect(nothing.status == 66, "\(nothing.standardError)")
        // Workers that have not finished: nothing to commit yet.
        let empty = directory.appendingPathComponent("d")
        try FileManager.default.createDirectory(
            at: empty.appendingPathComponent(".shardkit-work"), withIntermediateDirectories: true)
        let notYet = try ShardKitProcess.run(["commit", empty.path])
        #expect(notYet.status == 66 && notYet.standardError.contains("no worker has finished"), "\(notYet.standardError)")
    }

    /// A worker whose slot is held by a live process fails at once with 75; a claim left by a
    /// process that has ended is taken over.
    @Test func aSecondWorkerWithTheSameSlotFails() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        let work = output.appendingPathComponent(".shardkit-work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let claim = work.appendingPathComponent("worker-1-of-2.claim")
        let host = ProcessInfo.processInfo.hostName
        try Data("\(host) \(getpid())\n".utf8).write(to: claim)  // this test process: alive
        let common = [
            "convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--output", output.path, "--shards", "2",
            "--worker", "1/2",
        ]
        let second = try ShardKitProcess.run(common)
        #expect(second.status == 75)
        #expect(second.standardError.contains("worker 1/2 is already running"), "\(second.standardError)")
        #expect(FileManager.default.fileExists(atPath: claim.path), "the live worker's claim was removed")
        // A process that has ended: its claim is taken over.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        try Data("\(host) \(ended.processIdentifier)\n".utf8).write(to: claim)
        let rerun = try ShardKitProcess.run(common)
        #expect(rerun.status == 0, "\(rerun.standardError)")
        #expect(rerun.standardError.contains("taking over"), "\(rerun.standardError)")
        #expect(!FileManager.default.fileExists(atPath: claim.path), "the claim outlived the worker")
        // Another host's claim: refused while it is fresh, taken over once nobody refreshed it
        // for longer than the stale limit (its worker died; a retried pod has a new host name).
        let other = directory.appendingPathComponent("other")
        let otherWork = other.appendingPathComponent(".shardkit-work")
        try FileManager.default.createDirectory(at: otherWork, withIntermediateDirectories: true)
        let otherClaim = otherWork.appendingPathComponent("worker-1-of-2.claim")
        try Data("pod-abc 1234\n".utf8).write(to: otherClaim)
        let otherArguments = common.map { $0 == output.path ? other.path : $0 }
        let fresh = try ShardKitProcess.run(otherArguments)
        #expect(fresh.status == 75, "\(fresh.standardError)")
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: otherClaim.path)
        let stale = try ShardKitProcess.run(otherArguments)
        #expect(stale.status == 0, "\(stale.standardError)")
        #expect(stale.standardError.contains("was last refreshed"), "\(stale.standardError)")
    }

    /// Starts `arguments`, waits until `output` holds an entry starting with `marker` (the run is
    /// writing), waits `delay` more, and kills it with SIGKILL; returns false when the run
    /// finished before it could be killed.
    static func killNine(_ arguments: [String], output: URL, marker: String, after delay: useconds_t) throws -> Bool {
        let process = Process()
        process.executableURL = ShardKitProcess.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline,
            !((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).contains(where: { $0.hasPrefix(marker) })
        {
            usleep(20_000)
        }
        usleep(delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    static let slowConversion = [
        "convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--shards", "6", "--augment",
        "crop=26,resize=28", "--copies", "400", "--jobs", "2", "--quiet",
    ]

    /// `kill -9` one worker part-way: commit refuses and names it; after a rerun of that worker,
    /// commit succeeds with one process's bytes.
    @Test func aKilledWorkerIsNamedAndARerunCompletesIt() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("one")
        #expect(try ShardKitProcess.run(Self.slowConversion + ["--output", reference.path]).status == 0)
        var delay: useconds_t = 400_000
        var killedOnce = false
        for attempt in 0..<5 where !killedOnce {
            let output = directory.appendingPathComponent("workers-\(attempt)")
            #expect(try ShardKitProcess.run(Self.slowConversion + ["--output", output.path, "--worker", "0/2"]).status == 0)
            // A kill that lands after the worker wrote its job file (while it exits) found it
            // finished, as a worker that ended before the kill: try earlier.
            guard
                try Self.killNine(
                    Self.slowConversion + ["--output", output.path, "--worker", "1/2"], output: output,
                    marker: ".shardkit-work", after: delay),
                !FileManager.default.fileExists(
                    atPath: output.appendingPathComponent(".shardkit-work/worker-1-of-2.job.json").path)
            else {
                delay /= 2
                continue
            }
            let refused = try ShardKitProcess.run(["commit", output.path])
            // On a busy machine the kill can land after the worker's last shard and receipt but
            // before its job file shows here: then commit rightly accepts the run, and must have
            // made one process's bytes. That attempt killed nothing part-way: try earlier.
            if refused.status == 0 {
                try Self.expectSameTree(reference, output)
                delay /= 2
                continue
            }
            killedOnce = true
            #expect(refused.status == 66, "\(refused.standardError)")
            #expect(refused.standardError.contains("--worker 1/2"), "\(refused.standardError)")
            #expect(!refused.standardError.contains("[worker 0/2]"), "\(refused.standardError)")
            #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
            let rerun = try ShardKitProcess.run(Self.slowConversion + ["--output", output.path, "--worker", "1/2"])
            #expect(rerun.status == 0, "\(rerun.standardError)")
            #expect(try ShardKitProcess.run(["commit", output.path]).status == 0)
            try Self.expectSameTree(reference, output)
        }
        #expect(killedOnce, "the worker always finished before the kill")
    }

    /// `kill -9` a one-process run at several moments; `--resume` keeps its finished shards and
    /// gives the uninterrupted bytes. Resuming with another option is refused, naming it.
    @Test func resumeAfterKillNineGivesTheSameBytes() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("one")
        #expect(try ShardKitProcess.run(Self.slowConversion + ["--output", reference.path]).status == 0)
        var resumed = 0
        for (attempt, delay) in [100_000, 300_000, 800_000].enumerated() {
            let output = directory.appendingPathComponent("killed-\(attempt)")
            guard
                try Self.killNine(
                    Self.slowConversion + ["--output", output.path], output: output, marker: ".shardkit-staging-",
                    after: useconds_t(delay))
            else { continue }
            resumed += 1
            // A run killed before it recorded its fingerprint has nothing to resume: skip the check.
            let staging = try FileManager.default.contentsOfDirectory(atPath: output.path).first { $0.hasPrefix(".shardkit-staging-") }
            let recorded = staging.map {
                FileManager.default.fileExists(atPath: output.appendingPathComponent($0).appendingPathComponent("fingerprint.json").path)
            } ?? false
            if recorded && attempt < 2 {
                let other = try ShardKitProcess.run(Self.slowConversion + ["--output", output.path, "--resume", "--seed", "9"])
                #expect(other.status == 64, "\(other.standardError)")
                #expect(other.standardError.contains("seed: was 0, now 9"), "\(other.standardError)")
            }
            let run = try ShardKitProcess.run(
                Self.slowConversion.filter { $0 != "--quiet" } + ["--output", output.path, "--resume"])
            #expect(run.status == 0, "\(run.standardError)")
            let tookOver = run.standardError.contains("resuming the run of process")
            let fresh = run.standardError.contains("no interrupted run")
            #expect(tookOver || fresh, "\(run.standardError)")
            try Self.expectSameTree(reference, output)
        }
        #expect(resumed > 0, "every run finished before the kill")
    }
}
