internal import ShardKitSupport

/// max(x, 0), element-wise. (`Conv2D` and `Dense` can also fuse it via `activation: .relu`.)
final class ReLU: Layer {
    let name: String
    init(name: String) { self.name = name }

    func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output.resize(to: input.shape)
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                let parts = Workers.parts(for: x.count, minimum: 1 << 16)
                Workers.run(parts) { part in
                    let r = Workers.range(x.count, parts: parts, part: part)
                    reluForward(x.baseAddress! + r.lowerBound, into: y.baseAddress! + r.lowerBound, count: r.count)
                }
            }
        }
    }

    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        guard computeInputGradient else { return }
        inputGradient.resize(to: input.shape)
        output.scalars.withUnsafeBufferPointer { y in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
                    let parts = Workers.parts(for: y.count, minimum: 1 << 16)
                    Workers.run(parts) { part in
                        let r = Workers.range(y.count, parts: parts, part: part)
                        reluMask(
                            output: y.baseAddress! + r.lowerBound, gradient: dy.baseAddress! + r.lowerBound,
                            into: dx.baseAddress! + r.lowerBound, count: r.count)
                    }
                }
            }
        }
    }
}

/// Reshapes `[N, …]` to `[N, F]` (a copy of the contiguous scalars).
final class Flatten: Layer {
    let name: String
    init(name: String) { self.name = name }

    func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], inputShape.dropFirst().reduce(1, *)] }

    func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output.resize(to: outputShape(for: input.shape))
        copy(input.scalars, into: &output.scalars)
    }

    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        guard computeInputGradient else { return }
        inputGradient.resize(to: input.shape)
        copy(outputGradient.scalars, into: &inputGradient.scalars)
    }

    private func copy(_ source: [Float], into destination: inout [Float]) {
        source.withUnsafeBufferPointer { s in
            destination.withUnsafeMutableBufferPointer { d in
                d.baseAddress!.update(from: s.baseAddress!, count: s.count)
            }
        }
    }
}

/// Inverted dropout: in training each element is zeroed with probability `rate` and the
/// survivors are scaled by 1 / (1 − rate), so inference is the identity. The mask comes from
/// the layer's own seeded generator, whose state is saved in checkpoints.
final class Dropout: Layer, StatefulLayer {
    let name: String
    let rate: Float
    private var generator: SeededGenerator
    private var mask: [Float] = []

    init(name: String, rate: Float, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.name = name
        self.rate = rate
        self.generator = SeededGenerator(seed: seed)
    }

    func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output.resize(to: input.shape)
        if mask.count != input.count { mask = [Float](repeating: 1, count: input.count) }
        let scale = 1 / (1 - rate)
        // Keep when a 32-bit uniform is at or above rate·2³².
        let threshold = UInt64((Double(rate) * 4_294_967_296).rounded())
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                mask.withUnsafeMutableBufferPointer { m in
                    let n = x.count
                    if !training {
                        for i in 0..<n {
                            m[i] = 1
                            y[i] = x[i] * 1
                        }
                        return
                    }
                    // One pass: mask and output together, the generator in a local (a class
                    // property would be checked for exclusive access at every draw).
                    var rng = generator
                    var i = 0
                    while i < n {
                        let bits = rng.next()
                        let m0: Float = (bits & 0xFFFF_FFFF) >= threshold ? scale : 0
                        m[i] = m0
                        y[i] = x[i] * m0
                        if i + 1 < n {
                            let m1: Float = (bits >> 32) >= threshold ? scale : 0
                            m[i + 1] = m1
                            y[i + 1] = x[i + 1] * m1
                        }
                        i += 2
                    }
                    generator = rng
                }
            }
        }
    }

    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        guard computeInputGradient else { return }
        inputGradient.resize(to: input.shape)
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            mask.withUnsafeBufferPointer { m in
                inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
                    for i in 0..<dy.count { dx[i] = dy[i] * m[i] }
                }
            }
        }
    }

    var stateText: String { generator.stateString }
    func restoreState(_ text: String) -> Bool { generator.restore(from: text) }
}
