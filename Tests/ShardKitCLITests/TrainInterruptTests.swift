import Foundation
import TestSupport
import Testing

/// `shardkit train` stopped by real signals and by a full disk: SIGINT and SIGTERM stop it within
/// a second and keep its last complete checkpoint (or, before the first, remove what it wrote);
/// after `kill -9`, `--resume` ends with weights equal bit for bit to a run that was never
/// stopped; a disk that fills while a checkpoint is written gives exit 74 and keeps the previous one.
@Suite(.serialized) struct TrainInterruptTests {
    /// Fixtures/mnist converted into `data/` of a scratch folder: 20 train images (5 steps of 4
    /// per epoch) and 10 test images; or another MNIST-format fixture.
    static func tinyDataset(_ fixture: String = "mnist") throws -> URL {
        let output = try FixturePaths.makeScratchDirectory("shardkit-train-signals")
        let result = try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture(fixture).path, "--output",
            output.appendingPathComponent("data").path, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        return output
    }

    static func train(_ data: URL, run: URL, _ extra: [String]) -> [String] {
        [
            "train", "--data", data.path, "--model", "mnist", "--batch", "4", "--jobs", "1", "--log-every", "100",
            "--run-dir", run.path, "--quiet",
        ] + extra
    }

    /// A started `shardkit` with its standard error collected.
    final class Running {
        let process = Process()
        private let errors = Pipe()

        init(_ arguments: [String]) throws {
            process.executableURL = ShardKitProcess.binary
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
        }

        /// Waits for the exit; returns the status and standard error.
        func finish() -> (status: Int32, standardError: String, signalled: Bool) {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text, process.terminationReason == .uncaughtSignal)
        }
    }

    /// The file's inode, which changes each time a checkpoint is renamed into place.
    static func inode(_ path: String) -> UInt64? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? UInt64
    }

    /// Waits until `path` is a new file (another inode than `old`); false if `process` ends first.
    static func waitForNewFile(_ path: String, other old: UInt64?, while process: Process, seconds: Double = 120)
        -> Bool
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && process.isRunning {
            if let now = inode(path), now != old { return true }
            usleep(10_000)
        }
        return false
    }

    /// The `__metadata__` of a safetensors file (its JSON header).
    static func metadata(_ path: String) throws -> [String: String] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as? [String: Any]
        return header?["__metadata__"] as? [String: String] ?? [:]
    }

    static func leftovers(_ run: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []).filter { $0.contains(".tmp-") }
    }

    @Test func sigintStopsWithinASecondAndKeepsTheLastCheckpoint() throws {
        let scratch = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (data, run) = (scratch.appendingPathComponent("data"), scratch.appendingPathComponent("run"))
        let latest = run.appendingPathComponent("latest.safetensors").path
        let training = try Running(Self.train(data, run: run, ["--steps", "100", "--checkpoint-every", "1"]))
        #expect(Self.waitForNewFile(latest, other: nil, while: training.process), "no checkpoint was written")
        usleep(200_000)
        let signalled = Date()
        kill(training.process.processIdentifier, SIGINT)
        let (status, text, _) = training.finish()
        let seconds = Date().timeIntervalSince(signalled)
        #expect(status == 130, "\(text)")
        #expect(seconds < 1, "took \(seconds) s to stop")
        let step = try #require(try Self.metadata(latest)["step"])
        #expect(Int(step).map { $0 >= 1 && $0 < 100 } == true)
        #expect(text == "shardkit: kept \(latest) (step \(step)); continue it with --resume\nshardkit: interrupted (SIGINT); stopping\n")
        #expect(Self.leftovers(run).isEmpty)
    }

    @Test func sigtermBeforeTheFirstCheckpointRemovesTheRun() throws {
        let scratch = try Self.tinyDataset("digits")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (data, run) = (scratch.appendingPathComponent("data"), scratch.appendingPathComponent("run"))
        // The first checkpoint comes at the end of the first epoch, 500 steps in.
        let training = try Running(Self.train(data, run: run, ["--steps", "100"]))
        let config = run.appendingPathComponent("config.json").path
        #expect(Self.waitForNewFile(config, other: nil, while: training.process))
        // The event file comes right after config.json.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline
            && !((try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []).contains(where: {
                $0.hasPrefix("events.out.tfevents.")
            })
        {
            usleep(10_000)
        }
        let signalled = Date()
        kill(training.process.processIdentifier, SIGTERM)
        let (status, text, _) = training.finish()
        #expect(Date().timeIntervalSince(signalled) < 1)
        #expect(status == 143, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "shardkit: terminated (SIGTERM); stopping")
        #expect(lines.contains("shardkit: removed \(config)"))
        #expect(lines.contains { $0.hasPrefix("shardkit: removed \(run.path)/events.out.tfevents.") })
        #expect(lines.last == "shardkit: removed \(run.path)")
        #expect(!FileManager.default.fileExists(atPath: run.path))
    }

    /// `kill -9` at a few moments after a checkpoint (one process after another, each resumed
    /// from the previous one's last checkpoint): the final checkpoints equal, byte for byte, those
    /// of a run that was never stopped. One thread, a checkpoint every step, dropout in the model,
    /// Adam, and an epoch boundary (step 5) with validation on the way.
    @Test func killNineThenResumeEqualsAnUninterruptedRunBitForBit() throws {
        let scratch = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("data")
        let settings = ["--steps", "8", "--checkpoint-every", "1"]
        let reference = scratch.appendingPathComponent("reference")
        let started = Date()
        let whole = try ShardKitProcess.run(Self.train(data, run: reference, settings))
        #expect(whole.status == 0, "\(whole.standardError)")
        // The kills fall at fractions of a step (with its checkpoint) after a checkpoint, whatever
        // the build's speed.
        let stepSeconds = Date().timeIntervalSince(started) / 8

        let run = scratch.appendingPathComponent("killed")
        let latest = run.appendingPathComponent("latest.safetensors").path
        var killedAt: [String] = []
        var finished = false
        for (attempt, fraction) in [0, 0.3, 0.7].enumerated() {
            let before = Self.inode(latest)
            let training = try Running(Self.train(data, run: run, settings + (attempt == 0 ? [] : ["--resume"])))
            guard Self.waitForNewFile(latest, other: before, while: training.process) else {
                finished = training.finish().status == 0
                break
            }
            usleep(useconds_t(fraction * stepSeconds * 1e6))
            kill(training.process.processIdentifier, SIGKILL)
            let end = training.finish()
            if !end.signalled {
                finished = true
                break
            }
            killedAt.append((try? Self.metadata(latest)["step"]) ?? "?")
        }
        #expect(killedAt.count >= 2, "the runs finished before their kills; killed after steps \(killedAt)")
        if !finished {
            let resumed = try ShardKitProcess.run(Self.train(data, run: run, settings + ["--resume"]))
            #expect(resumed.status == 0, "\(resumed.standardError)")
        }
        for name in ["latest.safetensors", "best.safetensors"] {
            let want = try Data(contentsOf: reference.appendingPathComponent(name))
            let got = try Data(contentsOf: run.appendingPathComponent(name))
            #expect(got == want, "\(name) differs after kills at steps \(killedAt)")
        }
        #expect(try Self.metadata(latest)["step"] == "8")
        #expect(Self.leftovers(run).isEmpty)
    }

    /// A tmpfs with room for one checkpoint: the second write of latest.safetensors fails. One
    /// line names the file, exit 74, and the previous checkpoint is whole, its temporary file gone.
    @Test(.enabled(if: FullDiskTests.canMount, "cannot mount a tmpfs here (needs root)"))
    func aDiskThatFillsWhileACheckpointIsWrittenKeepsThePreviousOne() throws {
        let scratch = try Self.tinyDataset()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let disk = try FullDiskTests.Mount(size: "60m")  // an mnist checkpoint is 37.5 MiB
        let run = disk.url.appendingPathComponent("run")
        let result = try ShardKitProcess.run(
            Self.train(scratch.appendingPathComponent("data"), run: run, ["--steps", "3", "--checkpoint-every", "1"]))
        let latest = run.appendingPathComponent("latest.safetensors").path
        #expect(result.status == 74, "\(result.standardError)")
        #expect(
            result.standardError
                == "shardkit: error: \(latest): write failed: No space left on device; kept the previous checkpoint \(latest) (step 1)\n"
        )
        #expect(try Self.metadata(latest)["step"] == "1")
        #expect(Self.leftovers(run).isEmpty)
    }
}
