internal import CShardKitConvKernels
internal import ShardKitSupport

/// Max pooling over NHWC input (default 2×2, stride 2). The forward pass records the input
/// index of each maximum; backward routes each output gradient to that one input element.
/// With `.same` padding an odd-sized input gets a clipped last window, as in TensorFlow.
final class MaxPool2D: Layer {
    let name: String
    let poolSize: Int
    let stride: Int
    let padding: Padding
    /// The input index of each output's maximum, from the last forward pass.
    private(set) var argmax: [Int32] = []
    /// The tier whose C kernels pool a plain (not normalised) input and route the gradient of
    /// disjoint windows (the tier in force; tests pick others, and the C side clamps a tier this
    /// process may not run).
    var kernelTier = CPUFeatures.tier

    init(name: String, poolSize: Int = 2, stride: Int = 2, padding: Padding = .valid) {
        self.name = name
        self.poolSize = poolSize
        self.stride = stride
        self.padding = padding
    }

    func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "\(name): expected [N, H, W, C], got \(inputShape)")
        let oh = padding.geometry(input: inputShape[1], window: poolSize, stride: stride).output
        let ow = padding.geometry(input: inputShape[2], window: poolSize, stride: stride).output
        return [inputShape[0], oh, ow, inputShape[3]]
    }

    func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        forward(input, into: &output, normalizing: nil)
    }

    /// A per-channel transform applied to each input value as it is loaded, v·scale + shift and
    /// then max(·, 0) when `relu`: pooling a batch norm's output without writing it to memory.
    /// It uses the same operations as `BatchNorm`, so the result has the same bits.
    struct Normalization {
        var scale: UnsafePointer<Float>
        var shift: UnsafePointer<Float>
        var relu: Bool
    }

    /// Max pooling of `input`, or of `normalizing` applied to `input`, through the C kernel of
    /// `kernelTier` (`shardkit_maxpool_forward_tier`), which keeps each channel vector's maximum
    /// in registers over the window.
    func forward(_ input: Tensor, into output: inout Tensor, normalizing: Normalization?) {
        let shape = outputShape(for: input.shape)
        output.resize(to: shape)
        precondition(input.count < Int(Int32.max), "\(name): input too large for 32-bit indices")
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let padTop = padding.geometry(input: h, window: poolSize, stride: stride).padBefore
        let padLeft = padding.geometry(input: w, window: poolSize, stride: stride).padBefore
        let (pool, step, tier) = (poolSize, stride, kernelTier)
        input.scalars.withUnsafeBufferPointer { xb in
            output.scalars.withUnsafeMutableBufferPointer { yb in
                argmax.withUnsafeMutableBufferPointer { ab in
                    let (x, y, a) = (xb.baseAddress!, yb.baseAddress!, ab.baseAddress!)
                    let parts = Workers.parts(for: n)
                    Workers.run(parts) { part in
                        let images = Workers.range(n, parts: parts, part: part)
                        shardkit_maxpool_forward_tier(
                            tier.rawValue, x, 0, images.lowerBound, images.upperBound, h, w, c, shape[1], shape[2],
                            pool, step, padTop, padLeft, normalizing?.scale, normalizing?.shift,
                            normalizing?.relu == true ? 1 : 0, y, a)
                    }
                }
            }
        }
    }

    /// Sizes `output` and `argmax` for an input of `inputShape`, as `forward` does first, for a
    /// caller that then pools the input a few images at a time (`forward(images:…)`).
    func prepare(inputShape: [Int], output: inout Tensor) {
        let shape = outputShape(for: inputShape)
        output.resize(to: shape)
        precondition(inputShape.reduce(1, *) < Int(Int32.max), "\(name): input too large for 32-bit indices")
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
    }

    /// Calls `body` with `argmax`'s storage (sized by `prepare`), for `forward(images:…)`.
    func withArgmax<R>(_ body: (UnsafeMutablePointer<Int32>) -> R) -> R {
        argmax.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Pools images `images` of an input of `inputShape`, given only those images' values at
    /// `x`, into `y` and `argmax` (the whole output's and argmax's storage, as `prepare` sized
    /// them), on the calling thread: the bits `forward` gives, with argmax naming flat indices
    /// in the whole input.
    func forward(
        images: Range<Int>, of x: UnsafePointer<Float>, inputShape: [Int], into y: UnsafeMutablePointer<Float>,
        argmax: UnsafeMutablePointer<Int32>
    ) {
        let (h, w, c) = (inputShape[1], inputShape[2], inputShape[3])
        let rows = padding.geometry(input: h, window: poolSize, stride: stride)
        let columns = padding.geometry(input: w, window: poolSize, stride: stride)
        shardkit_maxpool_forward_tier(
            kernelTier.rawValue, x, images.lowerBound, images.lowerBound, images.upperBound, h, w, c, rows.output,
            columns.output, poolSize, stride, rows.padBefore, columns.padBefore, nil, nil, 0, y, argmax)
    }

    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        guard computeInputGradient else { return }
        inputGradient.resize(to: input.shape)
        let n = input.shape[0]
        if stride == poolSize {
            backwardDisjoint(input: input, outputGradient: outputGradient, inputGradient: &inputGradient)
            return
        }
        let (inPerImage, outPerImage) = (input.count / max(n, 1), outputGradient.count / max(n, 1))
        inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                argmax.withUnsafeBufferPointer { a in
                    // Windows never cross images, so workers own whole images of dx.
                    let parts = Workers.parts(for: n)
                    Workers.run(parts) { part in
                        let images = Workers.range(n, parts: parts, part: part)
                        (dx.baseAddress! + images.lowerBound * inPerImage).update(
                            repeating: 0, count: images.count * inPerImage)
                        for i in (images.lowerBound * outPerImage)..<(images.upperBound * outPerImage) {
                            dx[Int(a[i])] += dy[i]
                        }
                    }
                }
            }
        }
    }

    /// Backward for windows that do not overlap (stride = pool size, the usual case): each input
    /// element lies in at most one window, so dx is written once, in order, as
    /// `argmax == index ? dy : 0`, with no separate zeroing pass and no scatter
    /// (`shardkit_maxpool_backward_disjoint_tier`, the C kernel of `kernelTier`).
    private func backwardDisjoint(input: Tensor, outputGradient: Tensor, inputGradient: inout Tensor) {
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (oh, ow) = (outputGradient.shape[1], outputGradient.shape[2])
        let padTop = padding.geometry(input: h, window: poolSize, stride: stride).padBefore
        let padLeft = padding.geometry(input: w, window: poolSize, stride: stride).padBefore
        let (step, tier) = (stride, kernelTier)
        inputGradient.scalars.withUnsafeMutableBufferPointer { dxb in
            outputGradient.scalars.withUnsafeBufferPointer { dyb in
                argmax.withUnsafeBufferPointer { ab in
                    let (dx, dy, a) = (dxb.baseAddress!, dyb.baseAddress!, ab.baseAddress!)
                    let parts = Workers.parts(for: n)
                    Workers.run(parts) { part in
                        let images = Workers.range(n, parts: parts, part: part)
                        shardkit_maxpool_backward_disjoint_tier(
                            tier.rawValue, dy, a, images.lowerBound, images.upperBound, h, w, c, oh, ow, step, padTop,
                            padLeft, dx)
                    }
                }
            }
        }
    }
}
