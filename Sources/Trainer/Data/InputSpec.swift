public import Imaging

/// What a model expects from a dataset and how its images are prepared: the labels per head,
/// the pixel normalization and the augmentation for training and for evaluation.
///
/// Per built-in model (see formats/tensorboard-events.md's neighbour, the README of the trainer):
/// - `mnist`: `label` (10 classes); pixels scaled by 1/255; no augmentation.
/// - `digits`: `length` + `digits` (a length head and five digit heads); per-image
///   standardization; a random 54×54 crop in training, the centre 54×54 crop at evaluation.
/// - `cifar`: `label` (10 classes); per-image standardization; random crop to the input size and
///   a left–right flip in training, the centre crop at evaluation.
/// - `hwdb`, `classifier`: `label` (as many classes as the model); pixels scaled by 1/255; no
///   augmentation.
/// An image whose size still differs from the model's input after augmentation is resized
/// (bilinear) to it.
public struct InputSpec: Sendable, Equatable {
    /// How the records' labels map onto the model's heads.
    public enum Labels: Sendable, Equatable {
        /// One head: the int64 feature `key`, a class in `0..<classes`.
        case classifier(key: String, classes: Int)
        /// Seven-class length head (0–5, 6 = more than five) and five 11-class digit heads
        /// (10 = no digit), from the int64 features `length` and `digits`.
        case digitString(lengthKey: String, digitsKey: String)
    }

    /// Pixel to float conversion.
    public enum Normalization: String, Sendable, Equatable {
        /// `x / 255`, in [0, 1].
        case scale
        /// `tf.image.per_image_standardization`: zero mean, unit variance per image.
        case standardize
    }

    /// The model's input `[H, W, C]`.
    public var inputShape: [Int]
    public var labels: Labels
    /// The bytes feature holding the image (PNG, JPEG or raw HWC bytes).
    public var imageKey: String
    public var normalization: Normalization
    public var trainAugment: AugmentSpec
    public var evalAugment: AugmentSpec

    public init(
        inputShape: [Int], labels: Labels, imageKey: String = "image", normalization: Normalization,
        trainAugment: AugmentSpec = AugmentSpec(steps: []), evalAugment: AugmentSpec = AugmentSpec(steps: [])
    ) {
        self.inputShape = inputShape
        self.labels = labels
        self.imageKey = imageKey
        self.normalization = normalization
        self.trainAugment = trainAugment
        self.evalAugment = evalAugment
    }

    /// The number of label sets (heads) a batch carries.
    public var headCount: Int {
        switch labels {
        case .classifier: 1
        case .digitString: 6
        }
    }

    /// Whether the labels are digit strings.
    public var isDigitString: Bool {
        if case .digitString = labels { return true }
        return false
    }

    /// The preparation the built-in model `model` was designed with.
    public static func forModel(_ model: Model) -> InputSpec {
        let shape = model.inputShape
        let (h, w) = (shape[0], shape[1])
        switch model.name {
        case "digits":
            return InputSpec(
                inputShape: shape, labels: .digitString(lengthKey: "length", digitsKey: "digits"),
                normalization: .standardize,
                trainAugment: AugmentSpec(steps: [.randomCrop(height: h, width: w)]),
                evalAugment: AugmentSpec(steps: [.centerCrop(height: h, width: w)]))
        case "cifar":
            return InputSpec(
                inputShape: shape, labels: .classifier(key: "label", classes: model.heads[0].classes),
                normalization: .standardize,
                trainAugment: AugmentSpec(steps: [
                    .randomCrop(height: h, width: w), .flip(leftRight: true, upDown: false),
                ]),
                evalAugment: AugmentSpec(steps: [.centerCrop(height: h, width: w)]))
        default:
            if model.heads.count == 6 {
                return InputSpec(
                    inputShape: shape, labels: .digitString(lengthKey: "length", digitsKey: "digits"),
                    normalization: .standardize)
            }
            return InputSpec(
                inputShape: shape, labels: .classifier(key: "label", classes: model.heads[0].classes),
                normalization: .scale)
        }
    }
}
