/// Batch normalisation over the last (channel) dimension: statistics are taken over every
/// other position (N·H·W per channel for images, N for features).
///
/// Training normalises with the batch mean and biased variance and updates the running
/// statistics as `running = momentum·running + (1 − momentum)·batch` (Keras' defaults:
/// momentum 0.99, epsilon 1e-3); inference uses the running statistics.
public final class BatchNorm: Layer {
    public let name: String
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    /// Scale γ, shape `[channels]`, initially 1.
    public let gamma: Parameter
    /// Shift β, shape `[channels]`, initially 0.
    public let beta: Parameter
    /// Running mean (non-trainable), initially 0.
    public let movingMean: Parameter
    /// Running variance (non-trainable), initially 1.
    public let movingVariance: Parameter

    private var mean: [Float]
    private var inverseStd: [Float]
    private var scale: [Float]
    private var shift: [Float]
    private var sums: [Double]
    private var sums2: [Double]

    public init(name: String, channels: Int, momentum: Float = 0.99, epsilon: Float = 1e-3) {
        self.name = name
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        gamma = Parameter(name: "\(name)/gamma", value: Tensor(shape: [channels], repeating: 1))
        beta = Parameter(name: "\(name)/beta", value: Tensor(shape: [channels]))
        movingMean = Parameter(name: "\(name)/moving_mean", value: Tensor(shape: [channels]), trainable: false)
        movingVariance = Parameter(
            name: "\(name)/moving_variance", value: Tensor(shape: [channels], repeating: 1), trainable: false)
        mean = [Float](repeating: 0, count: channels)
        inverseStd = mean
        scale = mean
        shift = mean
        sums = [Double](repeating: 0, count: channels)
        sums2 = sums
    }

    public var parameters: [Parameter] { [gamma, beta, movingMean, movingVariance] }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.last == channels, "\(name): expected \(channels) channels, got \(inputShape)")
        return inputShape
    }

    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output.resize(to: outputShape(for: input.shape))
        let c = channels
        let rows = input.count / c
        input.scalars.withUnsafeBufferPointer { xb in
            let x = xb.baseAddress!
            if training {
                // Two passes in Double: the mean, then the centred sum of squares.
                sums.withUnsafeMutableBufferPointer { s in
                    s.update(repeating: 0)
                    for r in 0..<rows {
                        let row = x + r * c
                        for j in 0..<c { s[j] += Double(row[j]) }
                    }
                    for j in 0..<c { mean[j] = Float(s[j] / Double(rows)) }
                }
                sums2.withUnsafeMutableBufferPointer { s in
                    mean.withUnsafeBufferPointer { m in
                        s.update(repeating: 0)
                        for r in 0..<rows {
                            let row = x + r * c
                            for j in 0..<c {
                                let d = Double(row[j] - m[j])
                                s[j] += d * d
                            }
                        }
                    }
                }
                for j in 0..<c {
                    let variance = Float(sums2[j] / Double(rows))
                    inverseStd[j] = 1 / (variance + epsilon).squareRoot()
                    scale[j] = gamma.value.scalars[j] * inverseStd[j]
                    shift[j] = beta.value.scalars[j] - mean[j] * scale[j]
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
            scale.withUnsafeBufferPointer { a in
                shift.withUnsafeBufferPointer { b in
                    output.scalars.withUnsafeMutableBufferPointer { yb in
                        for r in 0..<rows {
                            let xr = x + r * c
                            let yr = yb.baseAddress! + r * c
                            for j in 0..<c { yr[j] = xr[j] * a[j] + b[j] }
                        }
                    }
                }
            }
        }
    }

    /// With x̂ = (x − μ)·σ⁻¹ and M rows: dβ = Σ dy, dγ = Σ dy·x̂,
    /// dx = γσ⁻¹ · (dy − dβ/M − x̂·dγ/M).
    public func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        let c = channels
        let rows = input.count / c
        input.scalars.withUnsafeBufferPointer { xb in
            outputGradient.scalars.withUnsafeBufferPointer { dyb in
                let x = xb.baseAddress!
                let dy = dyb.baseAddress!
                sums.withUnsafeMutableBufferPointer { sDy in
                    sums2.withUnsafeMutableBufferPointer { sDyX in
                        mean.withUnsafeBufferPointer { m in
                            inverseStd.withUnsafeBufferPointer { inv in
                                sDy.update(repeating: 0)
                                sDyX.update(repeating: 0)
                                for r in 0..<rows {
                                    let xr = x + r * c
                                    let dr = dy + r * c
                                    for j in 0..<c {
                                        sDy[j] += Double(dr[j])
                                        sDyX[j] += Double(dr[j] * (xr[j] - m[j]) * inv[j])
                                    }
                                }
                            }
                        }
                    }
                }
                for j in 0..<c {
                    beta.gradient.scalars[j] = Float(sums[j])
                    gamma.gradient.scalars[j] = Float(sums2[j])
                }
                guard computeInputGradient else { return }
                inputGradient.resize(to: input.shape)
                // dx = k·dy − k·dβ/M − k·dγ/M · (x − μ)σ⁻¹ with k = γσ⁻¹, as a·dy + b·x + d per channel.
                for j in 0..<c {
                    let k = gamma.value.scalars[j] * inverseStd[j]
                    let db = Float(sums[j]) / Float(rows)
                    let dg = Float(sums2[j]) / Float(rows)
                    scale[j] = k * dg * inverseStd[j]  // coefficient of (x − μ)
                    shift[j] = k * db  // constant
                }
                gamma.value.scalars.withUnsafeBufferPointer { gm in
                    inverseStd.withUnsafeBufferPointer { inv in
                        mean.withUnsafeBufferPointer { m in
                            scale.withUnsafeBufferPointer { a in
                                shift.withUnsafeBufferPointer { b in
                                    inputGradient.scalars.withUnsafeMutableBufferPointer { dxb in
                                        for r in 0..<rows {
                                            let xr = x + r * c
                                            let dr = dy + r * c
                                            let out = dxb.baseAddress! + r * c
                                            for j in 0..<c {
                                                out[j] = gm[j] * inv[j] * dr[j] - b[j] - a[j] * (xr[j] - m[j])
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
}
