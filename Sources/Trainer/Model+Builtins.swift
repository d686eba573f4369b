/// The built-in architectures. Weight seeds derive from `seed`, so equal seeds give equal models.
extension Model {
    /// TensorFlow's "Deep MNIST" CNN (as in the tf_train_mnist.py anchor): conv 5×5×32 same +
    /// ReLU, max-pool 2, conv 5×5×64 same + ReLU, max-pool 2, dense 1024 + ReLU, dropout 0.5,
    /// dense 10. Input `[28, 28, 1]`. Each convolution and its pool are one fused layer
    /// (`conv1+pool1`, `conv2+pool2`: the same bits, fewer passes over memory).
    public static func mnist(seed: UInt64 = 0) -> Model {
        Model(
            name: "mnist", inputShape: [28, 28, 1],
            trunk: [
                ConvPool(
                    Conv2D(
                        name: "conv1", inChannels: 1, filters: 32, kernelSize: 5, activation: .relu, seed: seed &+ 1),
                    MaxPool2D(name: "pool1")),
                ConvPool(
                    Conv2D(
                        name: "conv2", inChannels: 32, filters: 64, kernelSize: 5, activation: .relu, seed: seed &+ 2),
                    MaxPool2D(name: "pool2")),
                // No Flatten layer: Dense reads any [N, …] input as [N, features], so the copy
                // a Flatten makes each way would buy nothing.
                Dense(
                    name: "fc1", inputSize: 7 * 7 * 64, outputSize: 1024, activation: .relu, initializer: .he,
                    seed: seed &+ 3),
                Dropout(name: "dropout", rate: 0.5, seed: seed &+ 4),
            ],
            heads: [
                Head(
                    name: "logits", layers: [Dense(name: "logits", inputSize: 1024, outputSize: 10, seed: seed &+ 5)],
                    classes: 10)
            ])
    }

    /// The multi-digit street-number model (as in the tf_train_svhn.py anchor): three blocks of
    /// conv 5×5 same without bias (48, 64, 128 filters), batch norm, ReLU and max-pool 2
    /// same (one fused layer each, `bn1+pool1`…)
    /// (54 → 27 → 14 → 7), then dense 1024 + ReLU and six heads: the length (7 classes: 0–5 and
    /// "more than five") and five digits (11 classes; 10 = no digit). Input `[54, 54, 3]`.
    public static func digits(seed: UInt64 = 0) -> Model {
        var trunk: [any Layer] = []
        var channels = 3
        var size = 54
        for (i, filters) in [48, 64, 128].enumerated() {
            let b = i + 1
            trunk += [
                Conv2D(
                    name: "conv\(b)", inChannels: channels, filters: filters, kernelSize: 5, useBias: false,
                    seed: seed &+ UInt64(b)),
                // Batch norm, ReLU and max pool fused into one layer, `bn<b>+pool<b>` (fewer passes
                // over memory, the same bits as the three in sequence).
                BatchNormPool(
                    BatchNorm(name: "bn\(b)", channels: filters, activation: .relu),
                    MaxPool2D(name: "pool\(b)", padding: .same)),
            ]
            channels = filters
            size = (size + 1) / 2
        }
        // Dense reads [N, 7, 7, 128] as [N, 6272]: no Flatten layer, and no copy each way.
        trunk += [
            Dense(
                name: "fc1", inputSize: size * size * channels, outputSize: 1024, activation: .relu, initializer: .he,
                seed: seed &+ 10),
        ]
        var heads = [
            Head(
                name: "length", layers: [Dense(name: "length", inputSize: 1024, outputSize: 7, seed: seed &+ 11)],
                classes: 7)
        ]
        for d in 1...5 {
            heads.append(
                Head(
                    name: "digit\(d)",
                    layers: [Dense(name: "digit\(d)", inputSize: 1024, outputSize: 11, seed: seed &+ 11 &+ UInt64(d))],
                    classes: 11))
        }
        return Model(name: "digits", inputShape: [54, 54, 3], trunk: trunk, heads: heads)
    }

    /// A CIFAR-10 CNN after TensorFlow's tutorial: two blocks of conv 5×5×64 + ReLU and
    /// max-pool 2 same, dense 384 + ReLU, dense 192 + ReLU, dense 10. Input `[24, 24, 3]` by default
    /// (the tutorial's crops); any `[H, W, 3]` works.
    public static func cifar(inputShape: [Int] = [24, 24, 3], seed: UInt64 = 0) -> Model {
        let (h, w) = (((inputShape[0] + 1) / 2 + 1) / 2, ((inputShape[1] + 1) / 2 + 1) / 2)
        return Model(
            name: "cifar", inputShape: inputShape,
            trunk: [
                Conv2D(
                    name: "conv1", inChannels: inputShape[2], filters: 64, kernelSize: 5, activation: .relu,
                    seed: seed &+ 1),
                MaxPool2D(name: "pool1", padding: .same),
                Conv2D(name: "conv2", inChannels: 64, filters: 64, kernelSize: 5, activation: .relu, seed: seed &+ 2),
                MaxPool2D(name: "pool2", padding: .same),
                Flatten(name: "flatten"),
                Dense(
                    name: "fc1", inputSize: h * w * 64, outputSize: 384, activation: .relu, initializer: .he,
                    seed: seed &+ 3),
                Dense(
                    name: "fc2", inputSize: 384, outputSize: 192, activation: .relu, initializer: .he, seed: seed &+ 4),
            ],
            heads: [
                Head(
                    name: "logits", layers: [Dense(name: "logits", inputSize: 192, outputSize: 10, seed: seed &+ 5)],
                    classes: 10)
            ])
    }

    /// A handwritten-character (CASIA HWDB) classifier: two blocks of conv 3×3 (32, 64 filters)
    /// + ReLU and max-pool 2 same, then one dense layer over all `classes`. Input `[64, 64, 1]`
    /// by default.
    public static func hwdb(classes: Int = 3755, inputShape: [Int] = [64, 64, 1], seed: UInt64 = 0) -> Model {
        smallClassifier(name: "hwdb", classes: classes, inputShape: inputShape, seed: seed)
    }

    /// Any image-classification dataset (a converted image folder, Fashion-MNIST, EMNIST, …):
    /// `hwdb`'s architecture with the dataset's class count and image shape, gray or RGB.
    public static func classifier(classes: Int, inputShape: [Int], seed: UInt64 = 0) -> Model {
        smallClassifier(name: "classifier", classes: classes, inputShape: inputShape, seed: seed)
    }

    /// Two blocks of conv 3×3 (32, 64 filters) + ReLU and max-pool 2 same, then one dense layer
    /// over all `classes`, for inputs `[H, W, C]`.
    private static func smallClassifier(name: String, classes: Int, inputShape: [Int], seed: UInt64) -> Model {
        let (h, w) = (((inputShape[0] + 1) / 2 + 1) / 2, ((inputShape[1] + 1) / 2 + 1) / 2)
        return Model(
            name: name, inputShape: inputShape,
            trunk: [
                Conv2D(
                    name: "conv1", inChannels: inputShape[2], filters: 32, kernelSize: 3, activation: .relu,
                    seed: seed &+ 1),
                MaxPool2D(name: "pool1", padding: .same),
                Conv2D(name: "conv2", inChannels: 32, filters: 64, kernelSize: 3, activation: .relu, seed: seed &+ 2),
                MaxPool2D(name: "pool2", padding: .same),
                Flatten(name: "flatten"),
            ],
            heads: [
                Head(
                    name: "logits",
                    layers: [Dense(name: "logits", inputSize: h * w * 64, outputSize: classes, seed: seed &+ 3)],
                    classes: classes)
            ])
    }
}
