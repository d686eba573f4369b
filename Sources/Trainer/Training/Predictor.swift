import Foundation
public import Imaging
internal import ShardKitSupport

/// Predicts labels or digit strings of image files with a trained checkpoint, preprocessing them
/// as evaluation does.
public final class Predictor {
    /// One prediction: the label (a class index, or the digit string) and its probability (for a
    /// digit string, the product of the length's and each digit's probability).
    public struct Prediction: Sendable, Equatable {
        /// The class index in decimal (classifiers), or the digits (digit strings): `?` for a
        /// slot predicted empty inside the predicted length, and a final `+` for "more than five".
        public var text: String
        /// The probability of `text` (for a digit string, the product described above), in [0, 1].
        public var probability: Float
        /// What was done to an image that did not look like the training images (another size,
        /// another channel count) before predicting, or nil when nothing was.
        public var adaptation: String?
    }

    /// The model, its input preparation and its checkpoint's metadata.
    public let trained: TrainedModel
    private let preprocessor: Preprocessor

    /// Loads the checkpoint at `path` (see `TrainedModel.init(checkpoint:)`, whose errors it throws).
    public init(checkpoint path: String) throws {
        trained = try TrainedModel(checkpoint: path)
        preprocessor = Preprocessor(spec: trained.spec, training: false)
    }

    /// Reads and predicts a PNG or JPEG file. Throws `DataError` (`missing` when the file cannot be
    /// read, `malformed` when it does not decode).
    public func predict(file path: String) throws -> Prediction {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(.missing, path: path, message: "cannot read the file")
        }
        let image: Image
        do {
            image = try Image.decode(Array(data))
        } catch {
            throw DataError(path: path, message: "\(error)", underlying: error)
        }
        return predict(image)
    }

    /// Predicts one decoded image. An image of another size than the training images (or, when
    /// that was not recorded, than the model's input) is resized to it, bilinearly and without
    /// keeping its aspect ratio, and one of another channel count converted; `adaptation` says so.
    public func predict(_ source: Image) -> Prediction {
        var image = source
        var done: [String] = []
        let channels = trained.spec.inputShape[2]
        if image.channels != channels {
            done.append("converted its \(image.channels) channel\(image.channels == 1 ? "" : "s") to \(channels)")
            image = image.converted(toChannels: channels)
        }
        let expected = trained.sourceShape.flatMap { $0.count == 3 ? [$0[0], $0[1]] : nil }
            ?? [trained.spec.inputShape[0], trained.spec.inputShape[1]]
        if image.height != expected[0] || image.width != expected[1] {
            done.append(
                "resized it from \(image.height)×\(image.width) to the training images' \(expected[0])×\(expected[1]) (bilinear"
                    + (image.height * expected[1] == image.width * expected[0] ? ")" : ", aspect ratio not kept)"))
            image = image.resizedBilinear(height: expected[0], width: expected[1])
        }
        var rng = RecordKey(0).generator(seed: 0)
        image = preprocessor.prepare(image, rng: &rng)
        var input = Tensor(shape: [1] + trained.spec.inputShape)
        input.scalars.withUnsafeMutableBufferPointer { preprocessor.normalize(image, into: $0.baseAddress!) }
        let logits = trained.model.predict(input)
        let probabilities = logits.map { Metrics.softmax($0.scalars[...]) }
        func best(_ p: [Float]) -> (Int, Float) {
            let i = p.indices.max { p[$0] < p[$1] }!
            return (i, p[i])
        }
        if !trained.spec.isDigitString {
            let (label, p) = best(probabilities[0])
            return Prediction(text: String(label), probability: p, adaptation: adaptation(done))
        }
        let (length, pl) = best(probabilities[0])
        var text = ""
        var p = pl
        for k in 0..<min(length, 5) {
            let (d, pd) = best(probabilities[k + 1])
            text += d == 10 ? "?" : String(d)
            p *= pd
        }
        if length > 5 { text += "+" }
        return Prediction(text: text, probability: p, adaptation: adaptation(done))
    }

    private func adaptation(_ steps: [String]) -> String? {
        steps.isEmpty ? nil : steps.joined(separator: " and ")
    }
}
