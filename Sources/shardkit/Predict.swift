import ArgumentParser
import Foundation
import Trainer

/// `shardkit predict`: the label or digit string of image files.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the label (or digit string) of PNG/JPEG images with a checkpoint.",
        discussion: """
            Applies the preprocessing the model was trained with: an image of another size is \
            first resized to the training images' size, then cropped/resized to the model's \
            input. Prints one line per image: the file, the prediction and its probability.

            Example:
              shardkit predict --checkpoint /tmp/ckpt/best.safetensors digit.png number.jpg
            """)

    @Option(help: "A checkpoint written by shardkit train (.safetensors).")
    var checkpoint: String

    @Argument(help: "PNG or JPEG files.")
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
    }

    func run() throws {
        try reportingErrors {
            let predictor = try Predictor(checkpoint: checkpoint)
            for path in images {
                let p = try predictor.predict(file: path)
                print("\(path): \(p.text) (p=\(String(format: "%.3f", p.probability)))")
            }
        }
    }
}
