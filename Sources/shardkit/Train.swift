import ArgumentParser
import Foundation
import Trainer

/// `shardkit train`: trains a built-in model on a dataset directory of shards.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a built-in CNN on a directory of shards (manifest.json + TFRecord files).",
        discussion: """
            Reads the train split with a streaming loader (shuffle buffer, background decoding \
            and augmentation), prints a progress line every --log-every steps, validates after \
            each epoch on the validation (or test) split, and writes \
            <checkpoint-dir>/latest.safetensors and best.safetensors. --resume continues from \
            latest.safetensors at its step with its optimizer state. --steps counts all steps, \
            resumed ones included.

            Example:
              shardkit convert mnist --input Fixtures/digits --output /tmp/mnist
              shardkit train --data /tmp/mnist --model mnist --checkpoint-dir /tmp/ckpt
            """)

    @Option(help: "Dataset directory (with manifest.json).")
    var data: String

    @Option(help: "Built-in model: mnist, digits, cifar, hwdb or classifier (any class-labelled image dataset).")
    var model: String

    @Option(help: "Passes over the train split (default: 1 unless --steps is given).")
    var epochs: Int?

    @Option(help: "Total optimizer steps (instead of --epochs).")
    var steps: Int?

    @Option(help: "Images per step.")
    var batch: Int = 64

    @Option(help: "Initial learning rate (default: 0.001 for adam, 0.01 for sgd).")
    var lr: Float?

    @Option(help: "adam or sgd (with momentum 0.9).")
    var optimizer: String = "adam"

    @Option(help: "Multiply the learning rate by this every --decay-steps steps (exponential decay).")
    var decayRate: Float = 1

    @Option(help: "Steps per decay period.")
    var decaySteps: Int = 1000

    @Option(help: "Decoupled weight decay.")
    var weightDecay: Float = 0

    @Option(help: "Stop after this many epochs without a better validation accuracy.")
    var patience: Int?

    @Option(help: "Write TensorBoard event files here.")
    var logdir: String?

    @Option(help: "Where latest.safetensors and best.safetensors go.")
    var checkpointDir: String = "checkpoints"

    @Flag(help: "Continue from <checkpoint-dir>/latest.safetensors.")
    var resume = false

    @Option(help: "Seed of the weights, the shuffling and the augmentation.")
    var seed: UInt64 = 0

    @Option(help: "A progress line every this many steps.")
    var logEvery: Int = 50

    @Option(help: "Records in the shuffle buffer.")
    var shuffleBuffer: Int = 4096

    @OptionGroup var jobs: JobsOptions

    @Option(help: "Decode/augment threads of the input pipeline.")
    var loaderThreads: Int = 1

    @Option(help: "Measure the input pipeline alone over this many batches (no training) and print images/s.")
    var inputOnly: Int?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard Model.builtinNames.contains(model) else {
            throw ValidationError(
                "--model must be one of \(Model.builtinNames.joined(separator: ", ")), not '\(model)'")
        }
        guard optimizer == "adam" || optimizer == "sgd" else {
            throw ValidationError("--optimizer must be adam or sgd, not '\(optimizer)'")
        }
        guard epochs == nil || steps == nil else { throw ValidationError("give --epochs or --steps, not both") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        guard logEvery >= 1, decaySteps >= 1, shuffleBuffer >= 1, loaderThreads >= 1,
            (inputOnly ?? 1) >= 1
        else {
            throw ValidationError(
                "--log-every, --decay-steps, --loader-threads, --shuffle-buffer and --input-only must be at least 1"
            )
        }
    }

    func run() throws {
        try reportingErrors {
            var c = TrainingConfiguration(dataDirectory: data, modelName: model, checkpointDirectory: checkpointDir)
            c.epochs = epochs
            c.steps = steps
            c.batchSize = batch
            c.learningRate = lr ?? (optimizer == "sgd" ? 0.01 : 0.001)
            c.optimizer = optimizer
            c.decayRate = decayRate
            c.decaySteps = decaySteps
            c.weightDecay = weightDecay
            c.patience = patience
            c.logDirectory = logdir
            c.resume = resume
            c.seed = seed
            c.logEvery = logEvery
            c.shuffleBuffer = shuffleBuffer
            c.threads = jobs.count
            c.loaderWorkers = loaderThreads
            let session = try TrainingSession(c)
            if let inputOnly {
                let (images, seconds) = try session.measureInput(batches: inputOnly)
                print(
                    "input pipeline alone: \(images) images in \(String(format: "%.2f", seconds)) s, "
                        + "\(String(format: "%.0f", Double(images) / seconds)) images/s (\(loaderThreads) decode threads)"
                )
                return
            }
            let quiet = outputOptions.quiet
            // Progress lines are written unbuffered, so they appear as they happen also through a pipe.
            let result = try session.run { line in
                if !quiet { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
            }
            var summary = "trained \(model) for \(result.steps) steps (\(result.epochs) epochs)"
            summary += String(format: ", %.0f images/s", result.imagesPerSecond)
            if let best = result.bestValidationAccuracy {
                summary += String(format: ", best validation accuracy %.2f%%", best * 100)
            }
            if result.stoppedEarly { summary += " (stopped early)" }
            print(summary)
            print("checkpoint: \(result.latestCheckpoint)" + (result.bestCheckpoint.map { ", best: \($0)" } ?? ""))
        }
    }
}
