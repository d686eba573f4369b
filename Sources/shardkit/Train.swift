import ArgumentParser
import Foundation
import Trainer

/// `shardkit train`: trains a built-in model on a dataset directory of shards.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a built-in CNN on a directory of shards (manifest.json + TFRecord files).",
        discussion: """
            Reads the train split with a streaming loader (shuffle buffer, background decoding \
            and augmentation), prints a progress line every --log-every steps and validates after \
            each epoch on the validation (or test) split. Everything goes into one run directory: \
            config.json, the TensorBoard event files, latest.safetensors and best.safetensors \
            (written atomically). A directory that already holds a run is refused (exit 73) \
            unless --overwrite or --resume is given. --resume continues from latest.safetensors \
            at its step with its optimizer state; --steps counts all steps, resumed ones included. \
            Ctrl-C (or SIGTERM) stops at once and keeps the last checkpoint. One train at a time \
            per run directory: a second one into it fails at once (exit 75); eval and predict may \
            read it meanwhile.

            Example:
              shardkit convert mnist --input Fixtures/digits --output /tmp/mnist
              shardkit train --data /tmp/mnist --model mnist --run-dir /tmp/runs/mnist
            """)

    @Option(help: "Dataset directory (with manifest.json).")
    var data: String

    @Option(help: "Built-in model: mnist, digits, cifar, hwdb or classifier (any class-labelled image dataset).")
    var model: String

    @Option(help: "Passes over the train split (default, unless --steps is given: 4 for digits, 1 for the others).")
    var epochs: Int?

    @Option(help: "Total optimizer steps (instead of --epochs).")
    var steps: Int?

    @Option(help: "Images per step (default: 32 for digits, 64 for the others).")
    var batch: Int?

    @Option(help: "Initial learning rate (default: 0.001 for adam, 0.01 for sgd).")
    var lr: Float?

    @Option(help: "adam or sgd (with momentum 0.9).")
    var optimizer: String = "adam"

    @Option(
        help: """
            How the learning rate falls: cosine (over the whole run, to 1% of --lr) or exponential \
            (--decay-rate every --decay-steps). Default: cosine for digits, exponential for the others, \
            and exponential whenever --decay-rate or --decay-steps is given.
            """)
    var schedule: LearningRateShape?

    @Option(
        help:
            "With --schedule exponential: multiply the learning rate by this every --decay-steps steps (default: 0.5 for digits, 1 for the others)."
    )
    var decayRate: Float?

    @Option(
        help:
            "With --schedule exponential: steps per decay period (default: half the run for digits; 1000 for the others)."
    )
    var decaySteps: Int?

    @Option(help: "Decoupled weight decay.")
    var weightDecay: Float = 0

    @Option(help: "Stop after this many epochs without a better validation accuracy.")
    var patience: Int?

    @Option(help: "The run directory: config.json, event files, latest and best checkpoints (default: runs/<model>).")
    var runDir: String?

    /// Older names of --run-dir, still accepted: they held the event files and the checkpoints.
    @Option(name: .customLong("logdir"), help: .hidden)
    var legacyLogdir: String?
    @Option(name: .customLong("checkpoint-dir"), help: .hidden)
    var legacyCheckpointDir: String?

    @Flag(help: "Replace a run already in the run directory.")
    var overwrite = false

    @Flag(help: "Continue from <run-dir>/latest.safetensors, with the same settings.")
    var resume = false

    @Option(help: "Also write latest.safetensors every this many steps (default: after every epoch).")
    var checkpointEvery: Int?

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

    /// The run directory asked for, by whichever name.
    var runDirectory: String {
        runDir ?? legacyLogdir ?? legacyCheckpointDir ?? "runs/\(model)"
    }

    func validate() throws {
        let given = [runDir, legacyLogdir, legacyCheckpointDir].compactMap { $0 }
        guard Set(given).count <= 1 else {
            throw ValidationError(
                "one run directory holds the checkpoints and the event files: give --run-dir once (not \(given.joined(separator: " and ")))"
            )
        }
        guard !(overwrite && resume) else { throw ValidationError("give --overwrite or --resume, not both") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
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
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if schedule == .cosine && (decayRate != nil || decaySteps != nil) {
            throw ValidationError(
                "--decay-rate and --decay-steps shape the exponential schedule, not --schedule cosine")
        }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        guard logEvery >= 1, (decaySteps ?? 1) >= 1, shuffleBuffer >= 1, loaderThreads >= 1,
            (inputOnly ?? 1) >= 1
        else {
            throw ValidationError(
                "--log-every, --decay-steps, --loader-threads, --shuffle-buffer and --input-only must be at least 1"
            )
        }
    }

    func run() throws {
        try reportingErrors {
            var c = TrainingConfiguration(dataDirectory: data, modelName: model, runDirectory: runDirectory)
            let defaults = TrainingDefaults.forModel(model)
            c.epochs = epochs ?? (steps == nil ? defaults.epochs : nil)
            c.steps = steps
            c.batchSize = batch ?? defaults.batchSize
            c.learningRate = lr ?? (optimizer == "sgd" ? 0.01 : 0.001)
            c.optimizer = optimizer
            c.schedule = schedule ?? (decayRate != nil || decaySteps != nil ? .exponential : defaults.schedule)
            c.decayRate = decayRate ?? defaults.decayRate
            if let decaySteps {
                c.decaySteps = decaySteps
            } else {
                c.decayEpochs = defaults.decayEpochs(forRunOf: c.epochs)
            }
            c.weightDecay = weightDecay
            c.patience = patience
            c.overwrite = overwrite
            c.resume = resume
            c.checkpointEvery = checkpointEvery
            c.seed = seed
            c.logEvery = logEvery
            c.shuffleBuffer = shuffleBuffer
            c.threads = jobs.count
            c.loaderWorkers = loaderThreads
            let session = try TrainingSession(c)
            for note in [session.adaptation, session.batchNote] {
                if let note { FileHandle.standardError.write(Data("shardkit: note: \(note)\n".utf8)) }
            }
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
