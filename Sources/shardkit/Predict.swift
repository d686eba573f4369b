import ArgumentParser
import Foundation
import Trainer

/// `shardkit predict`: the label or digit string of image files.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the label (or digit string) of PNG/JPEG images with a checkpoint.",
        usage: "shardkit predict (--checkpoint <file> | --run-dir <dir>) <images> ...",
        discussion: """
            Applies the preprocessing the checkpoint records. An image of another size than the \
            training images is resized to their size first (bilinear), one of another channel \
            count converted; a warning on standard error says so. Prints one line per image: the \
            file, the prediction and its probability.

            Example:
              shardkit predict --run-dir runs/mnist digit.png number.jpg
            """)

    @OptionGroup var source: CheckpointOptions

    @Argument(help: "PNG or JPEG files.")
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
    }

    func run() throws {
        try reportingErrors {
            let predictor = try Predictor(checkpoint: try source.path())
            for path in images {
                let p = try predictor.predict(file: path)
                if let adaptation = p.adaptation {
                    FileHandle.standardError.write(Data("shardkit: warning: \(path): \(adaptation)\n".utf8))
                }
                print("\(path): \(p.text) (p=\(String(format: "%.3f", p.probability)))")
            }
        }
    }
}
