internal import CShardKitConvKernels
internal import ShardKitSupport

/// Batch normalisation over the last (channel) dimension: statistics are taken over every
/// other position (N·H·W per channel for images, N for features).
///
/// Training normalises with the batch mean and biased variance and updates the running
/// statistics as `running = momentum·running + (1 − momentum)·batch` (Keras' defaults:
/// momentum 0.99, epsilon 1e-3); inference uses the running statistics.
///
/// With `activation: .relu` the layer also applies max(·, 0) to its output, bit for bit as a
/// separate `ReLU` layer after it would, but in the same pass over memory; its backward masks
/// the incoming gradient by output > 0 inside the batch norm's own passes.
final class BatchNorm: Layer {
    let name: String
    let channels: Int
    let momentum: Float
    let epsilon: Float
    /// `.relu` fuses a following ReLU into this layer.
    let activation: Activation
    /// Scale γ, shape `[channels]`, initially 1.
    let gamma: Parameter
    /// Shift β, shape `[channels]`, initially 0.
    let beta: Parameter
    /// Running mean (non-trainable), initially 0.
    let movingMean: Parameter
    /// Running variance (non-trainable), initially 1.
    let movingVariance: Parameter

    private var mean: [Float]
    private var inverseStd: [Float]
    private var scale: [Float]
    private var shift: [Float]
    private var sums: [Double]
    private var sums2: [Double]
    private var factor: [Float]
    /// The last training forward's per-channel scale and shift (y = x·a + b before the ReLU):
    /// backward recomputes the fused ReLU's mask from them and the input.
    private var trainScale: [Float]
    private var trainShift: [Float]
    /// The tier whose C kernels run the statistics pass and the backward passes (the tier in
    /// force; tests pick others, and the C side clamps a tier this process may not run).
    var kernelTier = CPUFeatures.tier

    init(
        name: String, channels: Int, momentum: Float = 0.99, epsilon: Float = 1e-3,
        activation: Activation = .identity
    ) {
        self.name = name
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        self.activation = activation
        gamma = Parameter(name: "\(name)/gamma", value: Tensor(shape: [channels], repeating: 1))
        beta = Parameter(name: "\(name)/beta", value: Tensor(shape: [channels]))
        movingMean = Parameter(name: "\(name)/moving_mean", value: Tensor(shape: [channels]), trainable: false)
        movingVariance = Parameter(
            name: "\(name)/moving_variance", value: Tensor(shape: [channels], repeating: 1), trainable: false)
        mean = [Float](repeating: 0, count: channels)
        inverseStd = mean
        scale = mean
        shift = mean
        factor = mean
        trainScale = mean
        trainShift = mean
        sums = [Double](repeating: 0, count: channels)
        sums2 = sums
    }

    var parameters: [Parameter] { [gamma, beta, movingMean, movingVariance] }

    func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.last == channels, "\(name): expected \(channels) channels, got \(inputShape)")
        return inputShape
    }

    /// Rows whose Float partial sums are added into the Double totals at a time: short enough
    /// that the Float sums stay accurate (≈ 1e-6 relative), long enough that the conversion is free.
    static let blockRows = 32

    /// Per-channel sums over rows, `first[j] = Σ f(row)[j]` and `second[j] = Σ g(row)[j]`.
    ///
    /// Each worker owns a contiguous range of rows and walks it in blocks of `blockRows`:
    /// `body(rows, f, g)` adds a block's terms into zeroed Float partials `f`, `g` (SIMD over
    /// channels), which are then added into the worker's Double totals. The workers' totals are
    /// combined in part order, so the result depends only on the thread count.
    private func channelSums(
        rows: Int, into first: inout [Double], _ second: inout [Double],
        _ body: (Range<Int>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let c = channels
        let parts = Workers.parts(for: rows, minimum: 256)
        let totals = UnsafeMutablePointer<Double>.allocate(capacity: 2 * parts * c)
        defer { totals.deallocate() }
        totals.initialize(repeating: 0, count: 2 * parts * c)
        let blocks = UnsafeMutablePointer<Float>.allocate(capacity: 2 * parts * c)
        defer { blocks.deallocate() }
        Workers.run(parts) { part in
            let range = Workers.range(rows, parts: parts, part: part)
            let (t1, t2) = (totals + 2 * part * c, totals + (2 * part + 1) * c)
            let (f1, f2) = (blocks + 2 * part * c, blocks + (2 * part + 1) * c)
            var r = range.lowerBound
            while r < range.upperBound {
                let end = min(r + BatchNorm.blockRows, range.upperBound)
                f1.update(repeating: 0, count: c)
                f2.update(repeating: 0, count: c)
                body(r..<end, f1, f2)
                for j in 0..<c {
                    t1[j] += Double(f1[j])
                    t2[j] += Double(f2[j])
                }
                r = end
            }
        }
        for j in 0..<c {
            var a = 0.0
            var b = 0.0
            for part in 0..<parts {
                a += totals[2 * part * c + j]
                b += totals[(2 * part + 1) * c + j]
            }
            first[j] = a
            second[j] = b
        }
    }

    func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output.resize(to: outputShape(for: input.shape))
        prepare(input, training: training)
        let c = channels
        let rows = input.count / c
        input.scalars.withUnsafeBufferPointer { xb in
            let x = xb.baseAddress!
            scale.withUnsafeBufferPointer { ab in
                shift.withUnsafeBufferPointer { bb in
                    output.scalars.withUnsafeMutableBufferPointer { yb in
                        let (a, b, y) = (ab.baseAddress!, bb.baseAddress!, yb.baseAddress!)
                        let relu = activation == .relu
                        let parts = Workers.parts(for: rows, minimum: 256)
                        Workers.run(parts) { part in
                            let range = Workers.range(rows, parts: parts, part: part)
                            normalize(
                                x + range.lowerBound * c, into: y + range.lowerBound * c, rows: range.count,
                                channels: c, scale: a, shift: b, relu: relu)
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` with the per-channel scale and shift of the last `prepare` (y = x·a + b).
    func withScaleShift<R>(_ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        scale.withUnsafeBufferPointer { a in shift.withUnsafeBufferPointer { b in body(a.baseAddress!, b.baseAddress!) }
        }
    }

    /// Sets the per-channel scale and shift of the forward pass: from the batch statistics of
    /// `input` in training (also updating the running statistics), else from the running ones.
    func prepare(_ input: Tensor, training: Bool) {
        precondition(input.shape.last == channels, "\(name): expected \(channels) channels, got \(input.shape)")
        let c = channels
        let rows = input.count / c
        input.scalars.withUnsafeBufferPointer { xb in
            let x = xb.baseAddress!
            if training {
                // One pass: sums of d = x − K and d² per channel, shifted by the first row K so
                // that the variance Σd²/M − (Σd/M)² does not cancel; totals in Double.
                let tier = kernelTier.rawValue
                shift.withUnsafeMutableBufferPointer { kb in
                    let k = kb.baseAddress!
                    k.update(from: x, count: c)
                    channelSums(rows: rows, into: &sums, &sums2) { range, s1, s2 in
                        shardkit_bn_forward_sums_tier(tier, x, range.lowerBound, range.upperBound, c, k, s1, s2)
                    }
                }
                let m = Double(rows)
                for j in 0..<c {
                    let centred = sums[j] / m
                    mean[j] = Float(Double(shift[j]) + centred)
                    let variance = Float(max(sums2[j] / m - centred * centred, 0))
                    inverseStd[j] = 1 / (variance + epsilon).squareRoot()
                    scale[j] = gamma.value.scalars[j] * inverseStd[j]
                    shift[j] = beta.value.scalars[j] - mean[j] * scale[j]
                    trainScale[j] = scale[j]
                    trainShift[j] = shift[j]
                    movingMean.value.scalars[j] = momentum * movingMean.value.scalars[j] + (1 - momentum) * mean[j]
                    movingVariance.value.scalars[j] =
                        momentum * movingVariance.value.scalars[j] + (1 - momentum) * variance
                }
            } else {
                for j in 0..<c {
                    let s = gamma.value.scalars[j] / (movingVariance.value.scalars[j] + epsilon).squareRoot()
                    scale[j] = s
                    shift[j] = beta.value.scalars[j] - movingMean.value.scalars[j] * s
                }
            }
        }
    }

    /// With x̂ = (x − μ)·σ⁻¹ and M rows: dβ = Σ dz, dγ = Σ dz·x̂,
    /// dx = γσ⁻¹ · (dz − dβ/M − x̂·dγ/M), where dz is the gradient at the batch norm's own
    /// output: dy itself, or with a fused ReLU dy masked by output > 0 (as `ReLU` computes it).
    /// The mask is recomputed from the input as x·a + b > 0 with the training forward's own
    /// scale and shift: the same bits as the output's sign, without reading the output.
    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            backward(
                input: input, gradient: dy.baseAddress!, pooled: nil, inputGradient: &inputGradient,
                computeInputGradient: computeInputGradient)
        }
    }

    /// A max pool over disjoint windows after this layer, whose output gradient `backward`
    /// routes through the pool's argmax row by row: the values `MaxPool2D.backward` would
    /// write, without writing them.
    struct PooledGradient {
        var argmax: UnsafePointer<Int32>
        var height: Int
        var width: Int
        var outputHeight: Int
        var outputWidth: Int
        var stride: Int
        var padTop: Int
        var padLeft: Int
    }

    /// Backward with the output gradient `gradient`: laid out like the output, or when `pooled`
    /// is set, the gradient at the pool's output. Both passes run in the C kernels of
    /// `kernelTier` (`shardkit_bn_backward_sums_tier`, `shardkit_bn_backward_input_tier`), which
    /// route the pooled gradient and apply the ReLU mask in registers; the second pass
    /// recomputes dz rather than reading back a stored copy (a pass over memory less each way).
    func backward(
        input: Tensor, gradient dy: UnsafePointer<Float>, pooled: PooledGradient?, inputGradient: inout Tensor,
        computeInputGradient: Bool
    ) {
        let c = channels
        let rows = input.count / c
        let relu: Int32 = activation == .relu ? 1 : 0
        let tier = kernelTier.rawValue
        let source = shardkit_bn_gradient(
            dy: dy, argmax: pooled?.argmax, height: pooled?.height ?? 1, width: pooled?.width ?? 1,
            outputHeight: pooled?.outputHeight ?? 1, outputWidth: pooled?.outputWidth ?? 1,
            stride: pooled?.stride ?? 1, padTop: pooled?.padTop ?? 0, padLeft: pooled?.padLeft ?? 0)
        if computeInputGradient { inputGradient.resize(to: input.shape) }
        input.scalars.withUnsafeBufferPointer { xb in
            trainScale.withUnsafeBufferPointer { tab in
                trainShift.withUnsafeBufferPointer { tbb in
                    let (x, ta, tb) = (xb.baseAddress!, tab.baseAddress!, tbb.baseAddress!)
                    mean.withUnsafeBufferPointer { mb in
                        inverseStd.withUnsafeBufferPointer { ib in
                            let (m, inv) = (mb.baseAddress!, ib.baseAddress!)
                            channelSums(rows: rows, into: &sums, &sums2) { range, sDz, sDzX in
                                shardkit_bn_backward_sums_tier(
                                    tier, source, x, range.lowerBound, range.upperBound, c, relu, ta, tb, m, inv, sDz,
                                    sDzX)
                            }
                        }
                    }
                    for j in 0..<c {
                        beta.gradient.scalars[j] = Float(sums[j])
                        gamma.gradient.scalars[j] = Float(sums2[j])
                    }
                    guard computeInputGradient else { return }
                    // dx = k·dz − k·dβ/M − k·dγ/M · (x − μ)σ⁻¹ with k = γσ⁻¹:
                    // per channel k·dz − shift − scale·(x − μ).
                    for j in 0..<c {
                        let k = gamma.value.scalars[j] * inverseStd[j]
                        scale[j] = k * Float(sums2[j]) / Float(rows) * inverseStd[j]
                        shift[j] = k * Float(sums[j]) / Float(rows)
                        factor[j] = k
                    }
                    inputGradient.scalars.withUnsafeMutableBufferPointer { dxb in
                        factor.withUnsafeBufferPointer { kb in
                            mean.withUnsafeBufferPointer { mb in
                                scale.withUnsafeBufferPointer { ab in
                                    shift.withUnsafeBufferPointer { bb in
                                        let (k, m, a, b, dx) = (
                                            kb.baseAddress!, mb.baseAddress!, ab.baseAddress!, bb.baseAddress!,
                                            dxb.baseAddress!
                                        )
                                        let parts = Workers.parts(for: rows, minimum: 256)
                                        Workers.run(parts) { part in
                                            let range = Workers.range(rows, parts: parts, part: part)
                                            shardkit_bn_backward_input_tier(
                                                tier, source, x, range.lowerBound, range.upperBound, c, relu, ta, tb,
                                                k, b, a, m, dx)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// y = x·a + b per channel over `rows` rows of `channels`, and max(·, 0) when `relu`, with the
/// same operations (and so the same bits) as `BatchNorm` followed by `ReLU`.
@inline(__always)
private func normalize(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, channels c: Int,
    scale a: UnsafePointer<Float>, shift b: UnsafePointer<Float>, relu: Bool
) {
    let vc = c & ~7
    for r in 0..<rows {
        let (xr, yr) = (x + r * c, y + r * c)
        var j = 0
        if relu {
            while j < vc {
                store8(relu8(load8(xr + j) * load8(a + j) + load8(b + j)), yr + j)
                j += 8
            }
            while j < c {
                yr[j] = reluScalar(xr[j] * a[j] + b[j])
                j += 1
            }
        } else {
            while j < vc {
                store8(load8(xr + j) * load8(a + j) + load8(b + j), yr + j)
                j += 8
            }
            while j < c {
                yr[j] = xr[j] * a[j] + b[j]
                j += 1
            }
        }
    }
}

/// A batch norm (usually with its fused ReLU) followed by max pooling over disjoint windows, as
/// one layer with the same results, bit for bit, as the two in sequence. The forward pass pools
/// the normalised values as it computes them, and the backward pass routes the pool's gradient
/// through its argmax inside the batch norm's own passes, so the full-size activation and its
/// gradient are never written. Parameters keep the batch norm's names.
final class BatchNormPool: Layer {
    let batchNorm: BatchNorm
    let pool: MaxPool2D
    /// "<batch norm>+<pool>", e.g. `bn1+pool1`.
    let name: String

    init(_ batchNorm: BatchNorm, _ pool: MaxPool2D) {
        precondition(pool.stride == pool.poolSize, "BatchNormPool needs disjoint pooling windows (stride = pool size)")
        self.batchNorm = batchNorm
        self.pool = pool
        name = "\(batchNorm.name)+\(pool.name)"
    }

    var parameters: [Parameter] { batchNorm.parameters }

    func outputShape(for inputShape: [Int]) -> [Int] {
        pool.outputShape(for: batchNorm.outputShape(for: inputShape))
    }

    func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        batchNorm.prepare(input, training: training)
        let relu = batchNorm.activation == .relu
        batchNorm.withScaleShift { a, b in
            pool.forward(input, into: &output, normalizing: MaxPool2D.Normalization(scale: a, shift: b, relu: relu))
        }
    }

    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        let (h, w) = (input.shape[1], input.shape[2])
        let (size, stride) = (pool.poolSize, pool.stride)
        let rows = pool.padding.geometry(input: h, window: size, stride: stride)
        let columns = pool.padding.geometry(input: w, window: size, stride: stride)
        pool.argmax.withUnsafeBufferPointer { a in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                let pooled = BatchNorm.PooledGradient(
                    argmax: a.baseAddress!, height: h, width: w, outputHeight: rows.output,
                    outputWidth: columns.output, stride: stride, padTop: rows.padBefore, padLeft: columns.padBefore)
                batchNorm.backward(
                    input: input, gradient: dy.baseAddress!, pooled: pooled, inputGradient: &inputGradient,
                    computeInputGradient: computeInputGradient)
            }
        }
    }
}
