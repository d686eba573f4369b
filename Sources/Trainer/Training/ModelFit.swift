/// Which stored images each built-in model takes, checked before a run writes anything, so that
/// a wrong model/data pair is one clear error instead of a run that trains on silently resized or
/// channel-converted images.
///
/// - `mnist`: 28×28×1 exactly (its dense layer is sized for it; resizing would distort).
/// - `digits`: at least 54×54 (its input is the random 54×54 crop), colour (SVHN) or gray (the
///   strings `synth` writes from MNIST digits, repeated into the three input channels).
/// - `cifar`: 3 channels, at least 24×24 (its input is the random 24×24 crop).
/// - `hwdb`: 1 channel, any size: the model's input follows the dataset's size. A size other than
///   the 64×64 it is designed for is printed and recorded in the checkpoint (`adaptation`).
/// A dataset whose manifest records no image shape (variable-size images) is not checked.
public enum ModelFit {
    /// The input shape to build `model` with (nil: the model's own) and, when the model adapts to
    /// the data, the note saying how. Throws `DataError.unusable` (exit 64) naming both shapes.
    public static func input(model: String, datasetShape: [Int]?, dataset: String) throws(DataError) -> (
        shape: [Int]?, note: String?
    ) {
        guard let shape = datasetShape, shape.count == 3 else { return (nil, nil) }
        if let needs = requirement(model: model, shape: shape) {
            let fitting = Model.builtinNames.filter { requirement(model: $0, shape: shape) == nil }
            throw DataError(
                .unusable, path: dataset,
                message:
                    "the dataset's images are \(text(shape)); --model \(model) \(needs)"
                    + (fitting.isEmpty
                        ? "" : ". Models that take \(text(shape)) images: \(fitting.joined(separator: ", "))"))
        }
        guard model == "hwdb" else { return (nil, nil) }
        let input = [shape[0], shape[1], 1]
        let note =
            input == [64, 64, 1]
            ? nil
            : "hwdb: the model's input follows the dataset's images, \(text(input)) (it is designed for 64×64×1)"
        return (input, note)
    }

    /// What `model` needs that `shape` lacks, or nil when it fits.
    static func requirement(model: String, shape: [Int]) -> String? {
        let (h, w, c) = (shape[0], shape[1], shape[2])
        switch model {
        case "mnist":
            return shape == [28, 28, 1] ? nil : "takes 28×28×1 images (its input)"
        case "digits":
            return (c == 3 || c == 1) && h >= 54 && w >= 54
                ? nil : "takes images of at least 54×54, colour or gray (its input is 54×54×3)"
        case "cifar":
            return c == 3 && h >= 24 && w >= 24 ? nil : "takes 3-channel images of at least 24×24 (its input is 24×24×3)"
        case "hwdb":
            return c == 1 ? nil : "takes 1-channel (gray) images (its input is H×W×1, 64×64×1 by design)"
        default:
            return nil
        }
    }

    /// `[28, 28, 1]` as "28×28×1".
    static func text(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "×") }
}
