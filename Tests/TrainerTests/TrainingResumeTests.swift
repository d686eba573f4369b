import Foundation
import TestSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

@Suite("Training session", .serialized)
struct TrainingResumeTests {
    func configuration(_ data: URL, _ checkpoints: URL, steps: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration(
            dataDirectory: data.path, modelName: "mnist", runDirectory: checkpoints.path)
        c.steps = steps
        c.batchSize = 8
        c.logEvery = 2
        c.shuffleBuffer = 16
        c.threads = 2
        c.imagesToLog = 0
        return c
    }

    /// N steps, then N more resumed from the checkpoint, give exactly the weights of 2N steps —
    /// across an epoch boundary (24 records = 3 steps per epoch) and with dropout and Adam.
    @Test func resumedTrainingMatchesUninterruptedTraining() throws {
        let data = try writeClassifierDataset(splits: ["train": 24], shards: 2)
        let a = try FixturePaths.makeScratchDirectory("ckpt-a")
        let b = try FixturePaths.makeScratchDirectory("ckpt-b")
        defer { for d in [data, a, b] { try? FileManager.default.removeItem(at: d) } }

        var lines: [String] = []
        let whole = try TrainingSession(configuration(data, a, steps: 4)).run { lines.append($0) }
        #expect(whole.steps == 4)
        #expect(lines.first?.hasPrefix("step 2/4 epoch 1 loss ") == true)

        _ = try TrainingSession(configuration(data, b, steps: 2)).run { _ in }
        var resumed = configuration(data, b, steps: 4)
        resumed.resume = true
        var resumedLines: [String] = []
        let second = try TrainingSession(resumed).run { resumedLines.append($0) }
        #expect(second.steps == 4)
        #expect(resumedLines.first == "resumed from \(b.path)/latest.safetensors at step 2")

        let x = try Checkpoint.read(from: URL(fileURLWithPath: whole.latestCheckpoint))
        let y = try Checkpoint.read(from: URL(fileURLWithPath: second.latestCheckpoint))
        #expect(x.tensors.keys.sorted() == y.tensors.keys.sorted())
        for (name, t) in x.tensors { #expect(y.tensors[name] == t, "\(name) differs") }
        #expect(y.metadata["step"] == "4")
        #expect(y.metadata["model"] == "mnist")
        #expect(y.metadata["input_shape"] == "28,28,1")
    }

    @Test func keepsTheBestCheckpointAndStopsEarly() throws {
        let data = try writeClassifierDataset(splits: ["train": 16, "test": 8], shards: 1)
        let dir = try FixturePaths.makeScratchDirectory("ckpt-best")
        defer { for d in [data, dir] { try? FileManager.default.removeItem(at: d) } }
        var c = configuration(data, dir, steps: 1)
        c.steps = nil
        c.epochs = 6
        c.patience = 1
        c.learningRate = 0  // nothing improves after the first validation
        var lines: [String] = []
        let result = try TrainingSession(c).run { lines.append($0) }
        #expect(result.stoppedEarly)
        #expect(result.epochs == 2)
        #expect(result.bestCheckpoint != nil)
        #expect(lines.filter { $0.hasPrefix("validation (test)") }.count == 2)
        let best = try TrainedModel(checkpoint: result.bestCheckpoint!)
        #expect(best.model.name == "mnist")
        #expect(best.metadata["step"] == "2")
    }
}

/// The run directory: one folder for config.json, the event file and the checkpoints; a second
/// run never silently replaces a first; a resumed run must use the same settings.
@Suite("Run directory", .serialized)
struct RunDirectoryTests {
    func configuration(_ data: URL, _ run: URL, steps: Int = 1) -> TrainingConfiguration {
        var c = TrainingConfiguration(dataDirectory: data.path, modelName: "mnist", runDirectory: run.path)
        c.steps = steps
        c.batchSize = 8
        c.shuffleBuffer = 16
        c.threads = 2
        c.imagesToLog = 0
        return c
    }

    @Test func oneFolderHoldsTheRunAndASecondRunNeedsOverwrite() throws {
        let data = try writeClassifierDataset(splits: ["train": 16, "test": 8], shards: 1)
        let scratch = try FixturePaths.makeScratchDirectory("run-dir")
        defer { for d in [data, scratch] { try? FileManager.default.removeItem(at: d) } }
        let run = scratch.appendingPathComponent("runs/mnist")  // made with its parents
        _ = try TrainingSession(configuration(data, run)).run { _ in }
        let files = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        #expect(files.count == 4, "\(files)")
        #expect(files.filter { $0.hasPrefix("events.out.tfevents.") }.count == 1)
        #expect(
            Array(files.filter { !$0.hasPrefix("events.") }) == [
                "best.safetensors", "config.json", "latest.safetensors",
            ])

        let config = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json")))
                as? [String: Any])
        #expect(config["model"] as? String == "mnist")
        #expect(config["data"] as? String == data.path)
        #expect(config["batch_size"] as? Int == 8)
        #expect(config["steps"] as? Int == 1)
        #expect(config["validation_split"] as? String == "test")
        #expect(config["normalization"] as? String == "scale")
        #expect(config["input_shape"] as? [Int] == [28, 28, 1])
        #expect(config["resumed_from_step"] is NSNull)

        // A second run into the same folder is refused and changes nothing.
        let before = try Data(contentsOf: run.appendingPathComponent("latest.safetensors"))
        let error = #expect(throws: TrainingOutputError.self) {
            _ = try TrainingSession(configuration(data, run, steps: 2)).run { _ in }
        }
        #expect(error?.kind == .exists)
        #expect(error?.path == run.path)
        #expect(error?.message.contains("--overwrite") == true)
        #expect(try Data(contentsOf: run.appendingPathComponent("latest.safetensors")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).sorted() == files)

        // --overwrite replaces it: the old event file goes, the new checkpoint is at step 2.
        var again = configuration(data, run, steps: 2)
        again.overwrite = true
        var lines: [String] = []
        _ = try TrainingSession(again).run { lines.append($0) }
        #expect(lines.first?.hasPrefix("--overwrite: removed the previous run's ") == true)
        let events = try FileManager.default.contentsOfDirectory(atPath: run.path).filter {
            $0.hasPrefix("events.out.tfevents.")
        }
        #expect(events.count == 1)
        let newConfig = try JSONSerialization.jsonObject(
            with: Data(contentsOf: run.appendingPathComponent("config.json")))
        #expect((newConfig as? [String: Any])?["steps"] as? Int == 2)
        #expect(try Checkpoint.read(from: run.appendingPathComponent("latest.safetensors")).metadata["step"] == "2")
    }

    @Test func resumingWithOtherSettingsIsAUsageErrorNamingTheSetting() throws {
        let data = try writeClassifierDataset(splits: ["train": 16], shards: 1)
        let run = try FixturePaths.makeScratchDirectory("run-dir")
        defer { for d in [data, run] { try? FileManager.default.removeItem(at: d) } }
        _ = try TrainingSession(configuration(data, run)).run { _ in }
        var resumed = configuration(data, run, steps: 2)
        resumed.resume = true
        resumed.learningRate = 0.01
        let error = #expect(throws: DataError.self) { _ = try TrainingSession(resumed).run { _ in } }
        #expect(error?.kind == .unusable)
        #expect(
            error?.message
                == "--resume: the checkpoint was trained with learning_rate 0.001, not 0.01; give the same settings to continue it"
        )
        resumed.learningRate = 0.001
        resumed.optimizer = "sgd"
        let other = #expect(throws: DataError.self) { _ = try TrainingSession(resumed).run { _ in } }
        #expect(other?.message.contains("with optimizer adam, not sgd") == true)
        // Nothing was trained or written by the refused runs.
        #expect(try Checkpoint.read(from: run.appendingPathComponent("latest.safetensors")).metadata["step"] == "1")
    }

    @Test func resumeWithoutACheckpointIsMissingInput() throws {
        let data = try writeClassifierDataset(splits: ["train": 16], shards: 1)
        let run = try FixturePaths.makeScratchDirectory("run-dir")
        defer { for d in [data, run] { try? FileManager.default.removeItem(at: d) } }
        var c = configuration(data, run)
        c.resume = true
        let error = #expect(throws: DataError.self) { _ = try TrainingSession(c).run { _ in } }
        #expect(error?.kind == .missing)
        #expect(error?.path == run.path + "/latest.safetensors")
    }

    /// A run that fails before its first checkpoint removes what it wrote, so the same command
    /// can be run again without --overwrite.
    @Test func aRunThatFailsBeforeItsFirstCheckpointLeavesNothing() throws {
        // Record 11 has a label outside the classes: the loader fails inside the first epoch,
        // before its checkpoint.
        let data = try writeClassifierDataset(splits: ["train": 16], shards: 1, corrupt: ("train", 11))
        let scratch = try FixturePaths.makeScratchDirectory("run-dir")
        defer { for d in [data, scratch] { try? FileManager.default.removeItem(at: d) } }
        let run = scratch.appendingPathComponent("run")
        let error = #expect(throws: DataError.self) {
            _ = try TrainingSession(configuration(data, run, steps: 3)).run { _ in }
        }
        #expect(error?.message == "'label': expected a class in 0..<10, found 10")
        #expect(!FileManager.default.fileExists(atPath: run.path))
    }

    /// The digits model's defaults, and a decay period in epochs turned into steps (40 records
    /// in batches of 8: 5 steps per epoch, so 2 epochs are 10 steps).
    @Test func defaultsAndDecayEpochs() throws {
        let digits = TrainingDefaults.forModel("digits")
        #expect(
            digits
                == TrainingDefaults(
                    batchSize: 32, epochs: 4, decayRate: 0.5, decayEpochs: 2, decayAtMidRun: true, schedule: .cosine))
        // A period of half the run: 2 of the default 4 epochs, 6 of 12, 1 of 1 or 3.
        #expect(digits.decayEpochs(forRunOf: 4) == 2)
        #expect(digits.decayEpochs(forRunOf: 12) == 6)
        #expect(digits.decayEpochs(forRunOf: 3) == 1)
        #expect(digits.decayEpochs(forRunOf: 1) == 1)
        #expect(digits.decayEpochs(forRunOf: nil) == 2)
        let mnist = TrainingDefaults.forModel("mnist")
        #expect(mnist == TrainingDefaults(batchSize: 64, epochs: 1, decayRate: 1, decayEpochs: nil))
        #expect(mnist.schedule == .exponential)
        #expect(mnist.decayEpochs(forRunOf: 12) == nil)
        let data = try writeClassifierDataset(splits: ["train": 40], shards: 1)
        defer { try? FileManager.default.removeItem(at: data) }
        var c = configuration(data, data.appendingPathComponent("run"))
        c.decayRate = 0.5
        c.decayEpochs = 2
        let session = try TrainingSession(c)
        #expect(session.configuration.decaySteps == 10)
        #expect(session.optimizer.schedule == LearningRateSchedule(initial: 0.001, decayRate: 0.5, decaySteps: 10))
        #expect(session.optimizer.schedule.rate(at: 10) == 0.0005)
    }

    /// A cosine schedule spans the whole run: 3 epochs of 5 steps (40 records in batches of 8),
    /// or the steps given; the checkpoint records it, and a resume with another schedule (or an
    /// old checkpoint, exponential) is refused by name.
    @Test func cosineScheduleSpansTheRun() throws {
        let data = try writeClassifierDataset(splits: ["train": 40], shards: 1)
        defer { try? FileManager.default.removeItem(at: data) }
        var c = configuration(data, data.appendingPathComponent("run"))
        c.schedule = .cosine
        c.steps = nil
        c.epochs = 3
        let session = try TrainingSession(c)
        #expect(session.configuration.cosineSteps == 15)
        #expect(
            session.optimizer.schedule == LearningRateSchedule.cosine(initial: 0.001, steps: 15, finalFraction: 0.01))
        #expect(session.configuration.trajectoryMetadata["schedule"] == "cosine")
        #expect(session.configuration.trajectoryMetadata["cosine_steps"] == "15")
        #expect(session.configuration.trajectoryMetadata["decay_rate"] == nil)
        c.epochs = nil
        c.steps = 7
        #expect(try TrainingSession(c).configuration.cosineSteps == 7)

        // A run trained on the exponential schedule does not resume on the cosine one.
        let run = data.appendingPathComponent("run2")
        _ = try TrainingSession(configuration(data, run)).run { _ in }
        var resumed = configuration(data, run, steps: 2)
        resumed.resume = true
        resumed.schedule = .cosine
        let error = #expect(throws: DataError.self) { _ = try TrainingSession(resumed).run { _ in } }
        #expect(
            error?.message
                == "--resume: the checkpoint was trained with schedule exponential, not cosine; give the same settings to continue it"
        )
    }
}
