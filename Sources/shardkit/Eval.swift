import ArgumentParser
import Foundation
import Trainer

/// `shardkit eval`: accuracy of a checkpoint on a split.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint on a split of a dataset: accuracy and the most confused pairs.",
        usage: "shardkit eval (--checkpoint <file> | --run-dir <dir>) --data <dir> [...]",
        discussion: """
            Classifiers: top-1 and top-3 accuracy. Digit strings: whole-sequence, per-digit and \
            length accuracy. Uses the evaluation preprocessing the checkpoint records (e.g. the \
            centre 54x54 crop for digits) and its normalization.

            Example:
              shardkit eval --checkpoint /tmp/runs/mnist/best.safetensors --data /tmp/mnist
            """)

    @OptionGroup var source: CheckpointOptions

    @Option(help: "Dataset directory (with manifest.json).")
    var data: String

    @Option(help: "Split to evaluate.")
    var split: String = "test"

    @Option(help: "Images per forward pass.")
    var batch: Int = 100

    @OptionGroup var jobs: JobsOptions

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            Model.setThreadCount(jobs.count)
            let trained = try TrainedModel(checkpoint: try source.path())
            let dataset = try Dataset(directory: data)
            let m = try Evaluation.run(
                model: trained.model, dataset: dataset, split: split, spec: trained.spec, batchSize: batch)
            let name = trained.model.name
            print("\(name) on \(split) (\(m.examples) images):")
            if m.isDigitString {
                print(String(format: "  sequence accuracy %.2f%%", m.accuracy * 100))
                print(String(format: "  per-digit accuracy %.2f%%", m.digitAccuracy * 100))
                print(String(format: "  length accuracy %.2f%%", m.lengthAccuracy * 100))
            } else {
                print(String(format: "  top-1 accuracy %.2f%%", m.accuracy * 100))
                print(String(format: "  top-3 accuracy %.2f%%", m.top3Accuracy * 100))
            }
            print(String(format: "  loss %.4f", m.meanLoss))
            let confused = m.mostConfused(5)
            if !confused.isEmpty {
                let label = { (c: Int) in m.isDigitString && c == 10 ? "none" : String(c) }
                print(
                    "  most confused (truth -> predicted x times): "
                        + confused.map { "\(label($0.truth))->\(label($0.predicted)) x\($0.times)" }.joined(
                            separator: ", "))
            }
        }
    }
}

/// `--checkpoint FILE` or `--run-dir DIR` (its best, else latest, checkpoint), for eval and predict.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "A checkpoint written by shardkit train (.safetensors).")
    var checkpoint: String?

    @Option(help: "A run directory of shardkit train: uses its best.safetensors, else latest.safetensors.")
    var runDir: String?

    func validate() throws {
        guard (checkpoint == nil) != (runDir == nil) else {
            throw ValidationError("give --checkpoint FILE or --run-dir DIR (one of them)")
        }
    }

    /// The checkpoint file to load.
    func path() throws -> String {
        if let checkpoint { return checkpoint }
        return try RunDirectory(runDir!).checkpointForEvaluation()
    }
}
