/// A differentiable layer with hand-written forward and backward passes.
///
/// Layers hold their parameters and private scratch buffers but not their activations: the
/// model owns every activation and gradient tensor and lends them to the layer, so a layer can
/// recompute what it needs in `backward` from `input` and `output`. Buffers are sized on the
/// first step and reused afterwards; a steady-state step allocates nothing.
///
/// SPI for the benchmarks package (`@_spi(Benchmarks) import Trainer`), which walks a model's
/// layers to count their FLOPs; a library user picks a built-in `Model` instead.
@_spi(Benchmarks) public protocol Layer: AnyObject {
    /// A unique name inside the model (prefix of its parameters' names).
    var name: String { get }
    /// The parameters and state tensors (empty for parameter-free layers).
    var parameters: [Parameter] { get }
    /// The output shape for an input of `inputShape` (batch dimension first).
    func outputShape(for inputShape: [Int]) -> [Int]
    /// Computes the output for `input` into `output` (resized as needed).
    /// `training` selects batch statistics (batch norm) and random masks (dropout).
    func forward(_ input: Tensor, into output: inout Tensor, training: Bool)
    /// Given the forward pass's `input` and `output` and the loss gradient with respect to
    /// `output`, sets every trainable parameter's `gradient` and, when `computeInputGradient`,
    /// writes the gradient with respect to `input` into `inputGradient`.
    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor,
        inputGradient: inout Tensor, computeInputGradient: Bool)
}

extension Layer {
    /// None: the layer has no parameters.
    var parameters: [Parameter] { [] }
}

/// An activation fused into a `Conv2D` or `Dense` layer (saves a pass over memory).
enum Activation: Sendable {
    case identity
    case relu
}

/// Stochastic or running state that must survive a checkpoint (e.g. a dropout generator).
protocol StatefulLayer: Layer {
    var stateText: String { get }
    func restoreState(_ text: String) -> Bool
}
