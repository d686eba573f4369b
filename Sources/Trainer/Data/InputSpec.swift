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
    /// Which int64 features hold the labels, and how many heads read them.
    public var labels: Labels
    /// The bytes feature holding the image (PNG, JPEG or raw HWC bytes). Training and the loader
    /// take it from the dataset's manifest (its image entry); checkpoints record it.
    public var imageKey: String
    /// How pixels become floats.
    public var normalization: Normalization
    /// The augmentation in training (random crops, flips; drawn per record and epoch).
    public var trainAugment: AugmentSpec
    /// The augmentation at evaluation and prediction (deterministic, e.g. a centre crop).
    public var evalAugment: AugmentSpec

    /// A spec reading `imageKey` and `labels`, without augmentation unless given.
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

extension InputSpec {
    /// The spec as checkpoint metadata, so that evaluation and prediction prepare images exactly
    /// as training did, whatever the model's name: `input_shape` ("28,28,1"), `labels`
    /// ("classifier:label:10" or "digit_string:length:digits"), `image_key`, `normalization`,
    /// `train_augment` and `eval_augment` (augmentation spec strings).
    var metadata: [String: String] {
        let labelsText: String
        switch labels {
        case .classifier(let key, let classes): labelsText = "classifier:\(key):\(classes)"
        case .digitString(let lengthKey, let digitsKey): labelsText = "digit_string:\(lengthKey):\(digitsKey)"
        }
        return [
            "input_shape": inputShape.map(String.init).joined(separator: ","), "labels": labelsText,
            "image_key": imageKey, "normalization": normalization.rawValue,
            "train_augment": trainAugment.description, "eval_augment": evalAugment.description,
        ]
    }

    /// Reads back what `metadata` wrote. Keys that are absent (checkpoints written before they
    /// were recorded) keep the value of `fallback`; a key that is present but malformed is an
    /// error naming it.
    init(metadata: [String: String], fallback: InputSpec) throws(InputSpecMetadataError) {
        self = fallback
        func fail(_ key: String, _ why: String) -> InputSpecMetadataError {
            InputSpecMetadataError(key: key, value: metadata[key] ?? "", message: why)
        }
        if let text = metadata["input_shape"] {
            let dims = text.split(separator: ",").compactMap { Int($0) }
            guard dims.count == 3, dims.allSatisfy({ $0 > 0 }) else { throw fail("input_shape", "expected H,W,C") }
            inputShape = dims
        }
        if let text = metadata["labels"] {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            switch (parts.first, parts.count) {
            case ("classifier", 3):
                guard let classes = Int(parts[2]), classes > 0 else { throw fail("labels", "expected a class count") }
                labels = .classifier(key: parts[1], classes: classes)
            case ("digit_string", 3):
                labels = .digitString(lengthKey: parts[1], digitsKey: parts[2])
            default:
                throw fail("labels", "expected classifier:KEY:CLASSES or digit_string:LENGTH_KEY:DIGITS_KEY")
            }
        }
        if let key = metadata["image_key"] { imageKey = key }
        if let text = metadata["normalization"] {
            guard let n = Normalization(rawValue: text) else { throw fail("normalization", "expected scale or standardize") }
            normalization = n
        }
        for (key, path) in [("train_augment", \InputSpec.trainAugment), ("eval_augment", \InputSpec.evalAugment)] {
            guard let text = metadata[key] else { continue }
            do { self[keyPath: path] = try AugmentSpec(parsing: text) } catch { throw fail(key, "\(error)") }
        }
    }
}

/// Checkpoint metadata describing the input preparation that cannot be read back.
struct InputSpecMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The metadata key, e.g. `normalization`.
    var key: String
    /// Its value as found.
    var value: String
    /// What is wrong with it.
    var message: String

    /// One line naming the key, its value and the problem.
    var description: String { "metadata '\(key)' = \"\(value)\": \(message)" }
}
