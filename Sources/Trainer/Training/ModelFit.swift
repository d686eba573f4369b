/// Which stored images each built-in model takes, checked before a run writes anything, so that
/// a wrong model/data pair is one clear error instead of a run that trains on silently resized or
/// channel-converted images.
///
/// - `mnist`: 28×28×1 (its dense layer is sized for it).
/// - `digits`: at least 54×54 (its input is the random 54×54 crop), colour (SVHN) or gray (the
///   strings `synth` writes from MNIST digits, repeated into the three input channels).
/// - `cifar`: colour, at least 24×24 (its input is the random 24×24 crop).
/// - `hwdb`, `classifier`: any size and channel count; the model's input follows the dataset's
///   images (64×64 when their sizes vary). `hwdb` reads them gray. Whatever differs from what the
///   model is designed for (64×64×1 for hwdb) is printed and recorded in the checkpoint
///   (`adaptation`).
/// Images whose sizes vary (a converted folder declares `-1`) are each resized to the input; only
/// their channels are checked. A dataset whose manifest records no image shape is not checked.
enum ModelFit {
    /// The input shape to build `model` with (nil: the model's own) and, when the model or the
    /// images are adapted, the note saying how. Throws `DataError.unusable` (exit 64) naming both
    /// shapes when the model cannot take the images.
    static func input(model: String, datasetShape: [Int]?, dataset: String) throws(DataError) -> (
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
        let varying = shape[0] <= 0 || shape[1] <= 0
        switch model {
        case "hwdb", "classifier":
            let channels = model == "hwdb" ? 1 : shape[2]
            let input = varying ? [64, 64, channels] : [shape[0], shape[1], channels]
            var notes: [String] = []
            if varying {
                notes.append("the dataset's images vary in size; each is resized to 64×64")
            } else if model == "hwdb" && input != [64, 64, 1] {
                notes.append("the model's input follows the dataset's images, \(text(input)) (it is designed for 64×64×1)")
            }
            if model == "hwdb" && shape[2] != 1 { notes.append("colour images are read as gray") }
            return (input, notes.isEmpty ? nil : "\(model): " + notes.joined(separator: "; "))
        default:
            return (nil, varying ? "\(model): the dataset's images vary in size; each is resized to the model's input" : nil)
        }
    }

    /// What `model` needs that `shape` lacks, or nil when it fits. Sizes of -1 (varying) pass.
    static func requirement(model: String, shape: [Int]) -> String? {
        let (h, w, c) = (shape[0], shape[1], shape[2])
        let varying = h <= 0 || w <= 0
        switch model {
        case "mnist":
            return c == 1 && (varying || (h == 28 && w == 28)) ? nil : "takes 28×28×1 images (its input)"
        case "digits":
            return (c == 3 || c == 1) && (varying || (h >= 54 && w >= 54))
                ? nil : "takes images of at least 54×54, colour or gray (its input is 54×54×3)"
        case "cifar":
            return c == 3 && (varying || (h >= 24 && w >= 24))
                ? nil : "takes colour images of at least 24×24 (its input is 24×24×3)"
        default:
            return nil
        }
    }

    /// `[28, 28, 1]` as "28×28×1"; a varying size shows as "?".
    static func text(_ shape: [Int]) -> String { shape.map { $0 > 0 ? String($0) : "?" }.joined(separator: "×") }
}
