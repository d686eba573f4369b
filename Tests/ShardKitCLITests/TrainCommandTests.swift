import Foundation
import TestSupport
import Testing

/// `shardkit train`, `eval` and `predict` end to end through the binary, on the fixture digit set
/// converted with `shardkit convert mnist`.
@Suite(.serialized) struct TrainCommandTests {
    func convertedDigits() throws -> URL {
        let output = try FixturePaths.makeScratchDirectory("shardkit-train-cli")
        let result = try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture("digits").path, "--output", output.path, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        return output
    }

    @Test func trainEvalPredictAndResume() throws {
        let data = try convertedDigits()
        let work = try FixturePaths.makeScratchDirectory("shardkit-train-cli")
        defer { for d in [data, work] { try? FileManager.default.removeItem(at: d) } }
        let checkpoints = work.appendingPathComponent("ckpt").path
        let logs = work.appendingPathComponent("logs").path
        let train = try ShardKitProcess.run([
            "train", "--data", data.path, "--model", "mnist", "--steps", "4", "--batch", "16", "--log-every", "2",
            "--checkpoint-dir", checkpoints, "--logdir", logs, "--jobs", "2",
        ])
        #expect(train.status == 0, "\(train.standardError)")
        let lines = train.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("step 2/4 epoch 1 loss ") == true)
        #expect(lines.first?.hasSuffix(" images/s") == true)
        #expect(lines.contains { $0.hasPrefix("validation (test) after step 4: accuracy ") })
        #expect(lines.contains { $0.hasPrefix("trained mnist for 4 steps (0 epochs), ") })
        #expect(FileManager.default.fileExists(atPath: checkpoints + "/latest.safetensors"))
        #expect(FileManager.default.fileExists(atPath: checkpoints + "/best.safetensors"))
        let events = try FileManager.default.contentsOfDirectory(atPath: logs)
        #expect(events.count == 1 && events[0].hasPrefix("events.out.tfevents."))

        let resumed = try ShardKitProcess.run([
            "train", "--data", data.path, "--model", "mnist", "--steps", "6", "--batch", "16", "--log-every", "2",
            "--checkpoint-dir", checkpoints, "--resume", "--quiet",
        ])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.hasPrefix("trained mnist for 6 steps"))

        let eval = try ShardKitProcess.run([
            "eval", "--checkpoint", checkpoints + "/latest.safetensors", "--data", data.path, "--split", "test",
        ])
        #expect(eval.status == 0, "\(eval.standardError)")
        #expect(eval.standardOutput.hasPrefix("mnist on test (500 images):\n  top-1 accuracy "))
        #expect(eval.standardOutput.contains("  top-3 accuracy "))

        let image = FixturePaths.fixture("svhn/test/1.png").path
        let predict = try ShardKitProcess.run([
            "predict", "--checkpoint", checkpoints + "/latest.safetensors", image,
        ])
        #expect(predict.status == 0, "\(predict.standardError)")
        #expect(
            predict.standardOutput.range(of: #"^.*1\.png: [0-9] \(p=[01]\.[0-9]{3}\)\n$"#, options: .regularExpression)
                != nil)
    }

    @Test func usageErrorsExit64() throws {
        for arguments in [
            ["train", "--data", "/nonexistent", "--model", "resnet"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--epochs", "1", "--steps", "5"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--optimizer", "rmsprop"],
            ["predict", "--checkpoint", "x.safetensors"],
        ] {
            let result = try ShardKitProcess.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.standardError)")
        }
    }

    @Test func dataThatDoesNotFitTheModelIsOneReadableError() throws {
        let data = try FixturePaths.makeScratchDirectory("shardkit-train-cli")
        defer { try? FileManager.default.removeItem(at: data) }
        let generate = try ShardKitProcess.run(["generate", "--output", data.path, "--records", "20", "--quiet"])
        #expect(generate.status == 0)
        let train = try ShardKitProcess.run([
            "train", "--data", data.path, "--model", "mnist", "--steps", "1", "--checkpoint-dir", data.path + "/ck",
        ])
        #expect(train.status == 65)
        #expect(train.standardError.hasPrefix("shardkit: error: "))
        #expect(train.standardError.contains("feature 'label'"))
        let missing = try ShardKitProcess.run([
            "eval", "--checkpoint", data.path + "/none.safetensors", "--data", data.path,
        ])
        #expect(missing.status == 66)
        #expect(missing.standardError.hasPrefix("shardkit: error: "))
    }

    @Test func helpShowsAnExample() throws {
        for command in ["train", "eval", "predict"] {
            let result = try ShardKitProcess.run([command, "--help"])
            #expect(result.status == 0)
            #expect(result.standardOutput.contains("Example:\n  shardkit "))
        }
    }
}
