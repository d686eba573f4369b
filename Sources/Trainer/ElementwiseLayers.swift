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

#if _endian(big)
    #error("Dropout reads its 64-bit draws as pairs of 32-bit uniforms in little-endian order")
#endif

/// Inverted dropout: in training each element is zeroed with probability `rate` and the
/// survivors are scaled by 1 / (1 − rate), so inference is the identity. The mask comes from
/// the layer's own seeded generator, whose state is saved in checkpoints.
final class Dropout: Layer, StatefulLayer {
    let name: String
    let rate: Float
    private var generator: SeededGenerator
    private var mask: [Float] = []
    /// The generator's 64-bit draws for one forward pass (see `forward`).
    private var draws: [UInt64] = []

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
        let n = input.count
        // The generator's stream is the one serial part: its 64-bit draws (two 32-bit uniforms
        // each, elements 2i and 2i + 1) go to a buffer in one tight loop, with the generator in a
        // local (a class property would be checked for exclusive access at every draw). The
        // mask and the output then come from the buffer on every worker, in vectors.
        let pairs = (n + 1) / 2
        if training {
            if draws.count != pairs { draws = [UInt64](repeating: 0, count: pairs) }
            var rng = generator
            draws.withUnsafeMutableBufferPointer { d in
                for i in 0..<pairs { d[i] = rng.next() }
            }
            generator = rng
        }
        input.scalars.withUnsafeBufferPointer { xb in
            output.scalars.withUnsafeMutableBufferPointer { yb in
                mask.withUnsafeMutableBufferPointer { mb in
                    draws.withUnsafeBufferPointer { db in
                        let (x, y, m) = (xb.baseAddress!, yb.baseAddress!, mb.baseAddress!)
                        // Element 2i takes the low half of draw i, element 2i + 1 the high half:
                        // on a little-endian CPU, the draws read as 32-bit words are in element order.
                        let uniforms =
                            training && n > 0
                            ? UnsafeRawPointer(db.baseAddress!).assumingMemoryBound(to: UInt32.self) : nil
                        let parts = Workers.parts(for: n, minimum: 1 << 15)
                        Workers.run(parts) { part in
                            let r = Workers.range(n, parts: parts, part: part)
                            if let uniforms {
                                dropoutMask(
                                    uniforms + r.lowerBound, threshold: UInt32(threshold), scale: scale,
                                    x + r.lowerBound, into: y + r.lowerBound, mask: m + r.lowerBound, count: r.count)
                            } else {
                                (m + r.lowerBound).update(repeating: 1, count: r.count)
                                (y + r.lowerBound).update(from: x + r.lowerBound, count: r.count)
                            }
                        }
                    }
                }
            }
        }
    }

    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        guard computeInputGradient else { return }
        inputGradient.resize(to: input.shape)
        outputGradient.scalars.withUnsafeBufferPointer { dyb in
            mask.withUnsafeBufferPointer { mb in
                inputGradient.scalars.withUnsafeMutableBufferPointer { dxb in
                    let (dy, m, dx) = (dyb.baseAddress!, mb.baseAddress!, dxb.baseAddress!)
                    let n = dyb.count
                    let parts = Workers.parts(for: n, minimum: 1 << 15)
                    Workers.run(parts) { part in
                        let r = Workers.range(n, parts: parts, part: part)
                        multiply(dy + r.lowerBound, m + r.lowerBound, into: dx + r.lowerBound, count: r.count)
                    }
                }
            }
        }
    }

    var stateText: String { generator.stateString }
    func restoreState(_ text: String) -> Bool { generator.restore(from: text) }
}
