internal import ShardKitSupport
/// A named tensor owned by a layer: a trainable weight with its gradient, or a piece of
/// non-trainable state (batch-norm running statistics) that checkpoints must still save.
/// SPI for the benchmarks package (what `Layer` and `Optimizer` name), not part of the public API.
@_spi(Benchmarks) public final class Parameter {
    /// A unique, slash-separated name such as `conv1/kernel`; checkpoints key tensors by it.
    public let name: String
    /// The current value.
    public var value: Tensor
    /// The gradient of the loss with respect to `value`, set by the owning layer's `backward`.
    public var gradient: Tensor
    /// Whether optimizers update this parameter.
    public let isTrainable: Bool

    /// Creates a parameter with a zero gradient of the same shape.
    public init(name: String, value: Tensor, trainable: Bool = true) {
        self.name = name
        self.value = value
        self.gradient = Tensor(shape: trainable ? value.shape : [0])
        self.isTrainable = trainable
    }
}

/// How weights are initialised. Both draw from a generator seeded by the layer's seed.
enum Initializer: Sendable {
    /// He et al. normal: N(0, 2 / fanIn) — for layers followed by ReLU.
    case he
    /// Glorot (Xavier) uniform: U(±√(6 / (fanIn + fanOut))) — Keras' default.
    case glorotUniform

    func fill(_ tensor: inout Tensor, fanIn: Int, fanOut: Int, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        switch self {
        case .he:
            let std = (2 / Float(fanIn)).squareRoot()
            for i in tensor.scalars.indices { tensor.scalars[i] = std * Draw.normal(using: &rng) }
        case .glorotUniform:
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            for i in tensor.scalars.indices { tensor.scalars[i] = limit * (2 * Draw.unitFloat(using: &rng) - 1) }
        }
    }
}
