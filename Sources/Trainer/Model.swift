internal import ShardKitSupport
/// A classifier: a sequential trunk followed by one or more heads, each a short sequence of
/// layers ending in logits, trained with the sum of the heads' softmax cross-entropies.
///
/// The model owns every activation and gradient tensor; after the first step at a given batch
/// size, `trainStep` allocates nothing. Not thread-safe: use one model per thread.
///
/// A library user picks a built-in model (`named(_:inputShape:classes:seed:)`, `mnist(seed:)`,
/// …) and trains it through `TrainingSession`; the layers, heads, training step and profile are
/// SPI for the benchmarks package (`@_spi(Benchmarks) import Trainer`).
public final class Model {
    /// One output of the model: layers applied to the trunk's output, producing `classes` logits.
    @_spi(Benchmarks) public struct Head {
        /// The head's name, e.g. `length` or `digit1`.
        public let name: String
        /// Its layers, applied in order to the trunk's output; the last one's output is the logits.
        public let layers: [any Layer]
        /// The number of logits (classes) the head outputs.
        public let classes: Int

        init(name: String, layers: [any Layer], classes: Int) {
            self.name = name
            self.layers = layers
            self.classes = classes
        }
    }

    /// Forward and backward time spent in one layer, summed over the profiled steps.
    @_spi(Benchmarks) public struct ProfileEntry: Sendable {
        /// The layer's name, or `loss` or `optimizer`.
        public let name: String
        /// Seconds in the forward pass (for `loss`: computing the loss and its gradient).
        public var forwardSeconds: Double
        /// Seconds in the backward pass (for `optimizer`: the parameter update).
        public var backwardSeconds: Double
    }

    /// The model's name (e.g. "mnist"), stored in checkpoints.
    public let name: String
    /// The shape of one input image, `[H, W, C]`.
    public let inputShape: [Int]
    /// The shared layers, applied in order to the images.
    @_spi(Benchmarks) public let trunk: [any Layer]
    /// The outputs, each applied to the trunk's output; the training loss is the sum of their
    /// softmax cross-entropies.
    @_spi(Benchmarks) public let heads: [Head]
    /// When true, `trainStep` accumulates per-layer times into `profile`.
    @_spi(Benchmarks) public var isProfiling = false
    /// Accumulated per-layer times (trunk layers, then head layers, then "loss" and "optimizer").
    @_spi(Benchmarks) public private(set) var profile: [ProfileEntry] = []
    /// Steps accumulated in `profile`.
    @_spi(Benchmarks) public private(set) var profiledSteps = 0

    private var trunkActivations: [Tensor]
    private var trunkGradients: [Tensor]
    private var headActivations: [[Tensor]]
    private var headGradients: [[Tensor]]
    private var logitGradients: [Tensor] = []

    /// A model of `trunk` then `heads`, for inputs `[N] + inputShape`; layer names must be unique.
    init(name: String, inputShape: [Int], trunk: [any Layer], heads: [Head]) {
        precondition(!heads.isEmpty, "a model needs at least one head")
        self.name = name
        self.inputShape = inputShape
        self.trunk = trunk
        self.heads = heads
        trunkActivations = Array(repeating: Tensor(shape: [0]), count: trunk.count + 1)
        trunkGradients = trunkActivations
        headActivations = heads.map { Array(repeating: Tensor(shape: [0]), count: $0.layers.count + 1) }
        headGradients = headActivations
        allLayers = trunk + heads.flatMap(\.layers)
        parameters = allLayers.flatMap(\.parameters)
        let names = allLayers.map(\.name)
        precondition(Set(names).count == names.count, "layer names must be unique: \(names)")
        resetProfile()
    }

    /// Every layer, trunk first, then each head in order.
    let allLayers: [any Layer]

    /// Every parameter and state tensor, in layer order.
    let parameters: [Parameter]

    /// Sets the number of threads layers use (default 1); call before training. Layers split
    /// their work into that many parts and run OpenBLAS single-threaded inside each part.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        Workers.count = count
        setBLASThreads(1)
    }

    /// Clears the accumulated profile.
    @_spi(Benchmarks) public func resetProfile() {
        profile = allLayers.map { ProfileEntry(name: $0.name, forwardSeconds: 0, backwardSeconds: 0) }
        profile.append(ProfileEntry(name: "loss", forwardSeconds: 0, backwardSeconds: 0))
        profile.append(ProfileEntry(name: "optimizer", forwardSeconds: 0, backwardSeconds: 0))
        profiledSteps = 0
    }

    /// The logits of every head for `images` (`[N, H, W, C]`).
    func predict(_ images: Tensor, training: Bool = false) -> [Tensor] {
        runForward(images, training: training)
        return headActivations.map { $0.last! }
    }

    /// The summed loss on a batch, without changing anything but batch-norm running statistics
    /// (only when `training`) and dropout generators.
    func loss(images: Tensor, labels: [[Int32]], training: Bool = false) -> Float {
        runForward(images, training: training)
        return MultiHeadLoss.loss(
            logits: headActivations.map { $0.last! }, labels: labels, gradients: &logitGradients)
    }

    /// Forward and backward on a batch: sets every parameter's gradient and returns the loss.
    /// `labels[h]` holds head `h`'s class per image.
    @discardableResult
    func computeGradients(images: Tensor, labels: [[Int32]]) -> Float {
        precondition(labels.count == heads.count, "\(heads.count) heads but \(labels.count) label sets")
        runForward(images, training: true)
        var t = nanotime()
        let loss = MultiHeadLoss.loss(
            logits: headActivations.map { $0.last! }, labels: labels, gradients: &logitGradients)
        if isProfiling { record(trunk.count + heads.reduce(0) { $0 + $1.layers.count }, forward: true, since: &t) }
        runBackward()
        return loss
    }

    /// One training step: gradients on the batch, then an optimizer update. Returns the loss.
    @discardableResult
    @_spi(Benchmarks) public func trainStep(images: Tensor, labels: [[Int32]], optimizer: any Optimizer) -> Float {
        CPUFeatures.flushDenormalsOnThisThread()  // the loss and the optimizer run on this thread
        let loss = computeGradients(images: images, labels: labels)
        var t = nanotime()
        optimizer.update(parameters)
        if isProfiling {
            record(profile.count - 1, forward: false, since: &t)
            profiledSteps += 1
        }
        return loss
    }

    private func record(_ index: Int, forward: Bool, since t: inout UInt64) {
        let now = nanotime()
        let seconds = Double(now - t) * 1e-9
        if forward { profile[index].forwardSeconds += seconds } else { profile[index].backwardSeconds += seconds }
        t = now
    }

    private func runForward(_ images: Tensor, training: Bool) {
        precondition(
            images.shape.count == 4 && Array(images.shape.dropFirst()) == inputShape,
            "\(name): expected images [N, \(inputShape.map(String.init).joined(separator: ", "))], got \(images.shape)")
        trunkActivations[0] = images
        var t = nanotime()
        for (i, layer) in trunk.enumerated() {
            layer.forward(trunkActivations[i], into: &trunkActivations[i + 1], training: training)
            if isProfiling { record(i, forward: true, since: &t) }
        }
        var index = trunk.count
        for h in heads.indices {
            headActivations[h][0] = trunkActivations[trunk.count]
            for (j, layer) in heads[h].layers.enumerated() {
                layer.forward(headActivations[h][j], into: &headActivations[h][j + 1], training: training)
                if isProfiling { record(index, forward: true, since: &t) }
                index += 1
            }
        }
        // Drop the shared references so the next step writes the trunk output in place.
        for h in heads.indices { headActivations[h][0] = Tensor(shape: [0]) }
    }

    private func runBackward() {
        var t = nanotime()
        var index = trunk.count + heads.reduce(0) { $0 + $1.layers.count }
        let trunkOutput = trunkActivations[trunk.count]
        // Heads in reverse order, so the profile indices count down.
        for h in heads.indices.reversed() {
            let layers = heads[h].layers
            headGradients[h][layers.count] = logitGradients[h]
            for j in layers.indices.reversed() {
                index -= 1
                let input = j == 0 ? trunkOutput : headActivations[h][j]
                layers[j].backward(
                    input: input, output: headActivations[h][j + 1], outputGradient: headGradients[h][j + 1],
                    inputGradient: &headGradients[h][j], computeInputGradient: true)
                if isProfiling { record(index, forward: false, since: &t) }
            }
            headGradients[h][layers.count] = Tensor(shape: [0])
        }
        // The trunk output's gradient is the sum over heads.
        let last = trunk.count
        trunkGradients[last].resize(to: trunkOutput.shape)
        trunkGradients[last].scalars.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
            for h in heads.indices {
                headGradients[h][0].scalars.withUnsafeBufferPointer { hg in
                    for i in 0..<g.count { g[i] += hg[i] }
                }
            }
        }
        for i in trunk.indices.reversed() {
            trunk[i].backward(
                input: trunkActivations[i], output: trunkActivations[i + 1], outputGradient: trunkGradients[i + 1],
                inputGradient: &trunkGradients[i], computeInputGradient: i > 0)
            if isProfiling { record(i, forward: false, since: &t) }
        }
        trunkActivations[0] = Tensor(shape: [0])
    }
}
