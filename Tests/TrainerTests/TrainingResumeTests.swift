import Foundation
import TestSupport
import Testing

@testable import Trainer

@Suite("Training session", .serialized)
struct TrainingResumeTests {
    func configuration(_ data: URL, _ checkpoints: URL, steps: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration(
            dataDirectory: data.path, modelName: "mnist", checkpointDirectory: checkpoints.path)
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
