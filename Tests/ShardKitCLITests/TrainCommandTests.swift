import Foundation
import TestSupport
import Testing

/// `shardkit train`, `eval` and `predict` end to end through the binary, on the fixture digit set
/// converted with `shardkit convert mnist`.
@Suite(.serialized) struct TrainCommandTests {
    /// Fixtures/mnist converted: 20 train and 10 test images, for runs of a few steps.
    func convertedTiny() throws -> URL {
        let output = try FixturePaths.makeScratchDirectory("shardkit-train-cli")
        let result = try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture("mnist").path, "--output", output.path, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        return output
    }

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
        let run = work.appendingPathComponent("runs/mnist").path
        let arguments = [
            "train", "--data", data.path, "--model", "mnist", "--steps", "4", "--batch", "16", "--log-every", "2",
            "--run-dir", run, "--jobs", "2",
        ]
        let train = try ShardKitProcess.run(arguments)
        #expect(train.status == 0, "\(train.standardError)")
        let lines = train.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("step 2/4 epoch 1 loss ") == true)
        #expect(lines.first?.hasSuffix(" images/s") == true)
        #expect(lines.contains { $0.hasPrefix("validation (test) after step 4: accuracy ") })
        #expect(lines.contains { $0.hasPrefix("trained mnist for 4 steps (0 epochs), ") })
        #expect(lines.last == "checkpoint: \(run)/latest.safetensors, best: \(run)/best.safetensors")
        // One folder holds the run: the checkpoints, the event file and the configuration.
        let files = try FileManager.default.contentsOfDirectory(atPath: run).sorted()
        #expect(
            files.filter { !$0.hasPrefix("events.out.tfevents.") } == [
                "best.safetensors", "config.json", "latest.safetensors",
            ])
        #expect(files.filter { $0.hasPrefix("events.out.tfevents.") }.count == 1)

        // The same command again is refused, naming the folder, and changes nothing.
        let latest = try Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors"))
        let again = try ShardKitProcess.run(arguments)
        #expect(again.status == 73, "\(again.standardError)")
        #expect(again.standardError.hasPrefix("shardkit: error: \(run): already holds a training run ("))
        #expect(again.standardError.contains("give --overwrite to replace it, --resume to continue it"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors")) == latest)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).sorted() == files)

        // --logdir is the older name of --run-dir.
        let resumed = try ShardKitProcess.run([
            "train", "--data", data.path, "--model", "mnist", "--steps", "6", "--batch", "16", "--log-every", "2",
            "--logdir", run, "--resume", "--quiet",
        ])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.hasPrefix("trained mnist for 6 steps"))

        for source in [["--checkpoint", run + "/best.safetensors"], ["--run-dir", run]] {
            let eval = try ShardKitProcess.run(["eval"] + source + ["--data", data.path, "--split", "test"])
            #expect(eval.status == 0, "\(eval.standardError)")
            #expect(eval.standardOutput.hasPrefix("mnist on test (500 images):\n  top-1 accuracy "))
            #expect(eval.standardOutput.contains("  top-3 accuracy "))
        }

        // An image of another size and channel count: predicted, with a warning saying what was done.
        let image = FixturePaths.fixture("svhn/test/1.png").path
        let predict = try ShardKitProcess.run(["predict", "--run-dir", run, image])
        #expect(predict.status == 0, "\(predict.standardError)")
        #expect(
            predict.standardOutput.range(of: #"^.*1\.png: [0-9] \(p=[01]\.[0-9]{3}\)\n$"#, options: .regularExpression)
                != nil)
        #expect(
            predict.standardError
                == "shardkit: warning: \(image): converted its 3 channels to 1 and resized it from 30×40 to the training images' 28×28 (bilinear, aspect ratio not kept)\n"
        )
        // A 28×28 gray digit as the dataset stores it: the first PNG inside the test shard.
        let shard = try Data(contentsOf: data.appendingPathComponent("mnist-test.tfrecord-00000-of-00001"))
        let start = try #require(shard.firstRange(of: Data([0x89, 0x50, 0x4E, 0x47]))).lowerBound
        let end = try #require(shard[start...].firstRange(of: Data("IEND".utf8))).upperBound + 4
        let digit = work.appendingPathComponent("digit.png")
        try shard[start..<end].write(to: digit)
        let quiet = try ShardKitProcess.run(["predict", "--checkpoint", run + "/latest.safetensors", digit.path])
        #expect(quiet.status == 0 && quiet.standardError.isEmpty, "\(quiet.standardError)")
    }

    /// `--overwrite` replaces a run; a run directory without checkpoints is missing input.
    @Test func overwriteReplacesARun() throws {
        let data = try convertedTiny()
        let work = try FixturePaths.makeScratchDirectory("shardkit-train-cli")
        defer { for d in [data, work] { try? FileManager.default.removeItem(at: d) } }
        let run = work.appendingPathComponent("run").path
        let base = [
            "train", "--data", data.path, "--model", "mnist", "--steps", "1", "--batch", "4", "--run-dir", run,
            "--quiet",
        ]
        #expect(try ShardKitProcess.run(base).status == 0)
        let overwrite = try ShardKitProcess.run(base + ["--overwrite", "--steps", "2"])
        #expect(overwrite.status == 0, "\(overwrite.standardError)")
        let config = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json")))
        #expect((config as? [String: Any])?["steps"] as? Int == 2)
        // mnist's default schedule: exponential (constant at decay rate 1); --schedule cosine spans the run.
        #expect((config as? [String: Any])?["schedule"] as? String == "exponential")
        let cosine = try ShardKitProcess.run(base + ["--overwrite", "--steps", "3", "--schedule", "cosine"])
        #expect(cosine.status == 0, "\(cosine.standardError)")
        let cosineConfig = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json")))
        #expect((cosineConfig as? [String: Any])?["schedule"] as? String == "cosine")
        #expect((cosineConfig as? [String: Any])?["cosine_steps"] as? Int == 3)

        let empty = work.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let eval = try ShardKitProcess.run(["eval", "--run-dir", empty.path, "--data", data.path])
        #expect(eval.status == 66)
        #expect(
            eval.standardError == "shardkit: error: \(empty.path): holds no best.safetensors or latest.safetensors\n")
    }

    @Test func usageErrorsExit64() throws {
        for arguments in [
            ["train", "--data", "/nonexistent", "--model", "resnet"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--epochs", "1", "--steps", "5"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--optimizer", "rmsprop"],
            ["predict", "--checkpoint", "x.safetensors"],
            ["predict", "--checkpoint", "x.safetensors", "--run-dir", "r", "a.png"],
            ["eval", "--data", "/nonexistent"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--logdir", "a", "--checkpoint-dir", "b"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--overwrite", "--resume"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--checkpoint-every", "0"],
            ["train", "--data", "/nonexistent", "--model", "mnist", "--schedule", "linear"],
            ["train", "--data", "/nonexistent", "--model", "digits", "--schedule", "cosine", "--decay-rate", "0.5"],
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
        // hwdb takes the 28×140 gray images (its input follows them), but not the labels.
        let train = try ShardKitProcess.run([
            "train", "--data", data.path, "--model", "hwdb", "--steps", "1", "--run-dir", data.path + "/ck",
        ])
        #expect(train.status == 65)
        #expect(train.standardError.hasPrefix("shardkit: error: "))
        #expect(train.standardError.contains("feature 'label'"))
        #expect(!FileManager.default.fileExists(atPath: data.path + "/ck"))
        let missing = try ShardKitProcess.run([
            "eval", "--checkpoint", data.path + "/none.safetensors", "--data", data.path,
        ])
        #expect(missing.status == 66)
        #expect(missing.standardError.hasPrefix("shardkit: error: "))
    }

    /// A model that cannot take the dataset's images is a usage error naming both shapes, before
    /// anything is written.
    @Test func aModelForOtherImagesIsAUsageErrorNamingBothShapes() throws {
        let data = try convertedTiny()
        let work = try FixturePaths.makeScratchDirectory("shardkit-train-cli")
        defer { for d in [data, work] { try? FileManager.default.removeItem(at: d) } }
        let run = work.appendingPathComponent("run").path
        let cifar = try ShardKitProcess.run([
            "train", "--data", data.path, "--model", "cifar", "--steps", "1", "--run-dir", run,
        ])
        #expect(cifar.status == 64)
        #expect(
            cifar.standardError
                == "shardkit: error: \(data.path): the dataset's images are 28×28×1; --model cifar takes colour images of at least 24×24 (its input is 24×24×3). Models that take 28×28×1 images: mnist, hwdb, classifier\n"
        )
        #expect(!FileManager.default.fileExists(atPath: run))
        let digits = try ShardKitProcess.run(["train", "--data", data.path, "--model", "digits", "--run-dir", run])
        #expect(digits.status == 64)
        #expect(digits.standardError.contains("--model digits takes images of at least 54×54, colour or gray"))
    }

    @Test func helpShowsAnExample() throws {
        for command in ["train", "eval", "predict"] {
            let result = try ShardKitProcess.run([command, "--help"])
            #expect(result.status == 0)
            #expect(result.standardOutput.contains("Example:\n  shardkit "))
        }
    }
}
