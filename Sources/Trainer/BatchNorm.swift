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

    /// Per-channel sums over rows, computed by the workers on disjoint row ranges and then
    /// combined in a fixed order: `first[j] = Σ f(row)[j]`, `second[j] = Σ g(row)[j]`.
    private func channelSums(
        rows: Int, into first: inout [Double], _ second: inout [Double],
        _ body: (Range<Int>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    ) {
        let c = channels
        let parts = Workers.parts(for: rows, minimum: 256)
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: 2 * parts * c)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: 2 * parts * c)
        Workers.run(parts) { part in
            body(Workers.range(rows, parts: parts, part: part), partials + 2 * part * c, partials + (2 * part + 1) * c)
        }
        for j in 0..<c {
            var a = 0.0
            var b = 0.0
            for part in 0..<parts {
                a += partials[2 * part * c + j]
                b += partials[(2 * part + 1) * c + j]
            }
            first[j] = a
            second[j] = b
        }
    }

    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output.resize(to: outputShape(for: input.shape))
        let c = channels
        let rows = input.count / c
        input.scalars.withUnsafeBufferPointer { xb in
            let x = xb.baseAddress!
            if training {
                // Two passes in Double: the mean, then the centred sum of squares.
                channelSums(rows: rows, into: &sums, &sums2) { range, s, _ in
                    for r in range {
                        let row = x + r * c
                        for j in 0..<c { s[j] += Double(row[j]) }
                    }
                }
                for j in 0..<c { mean[j] = Float(sums[j] / Double(rows)) }
                mean.withUnsafeBufferPointer { mb in
                    let m = mb.baseAddress!
                    channelSums(rows: rows, into: &sums2, &sums) { range, s, _ in
                        for r in range {
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
                        let parts = Workers.parts(for: rows, minimum: 256)
                        Workers.run(parts) { part in
                            for r in Workers.range(rows, parts: parts, part: part) {
                                let xr = x + r * c
                                let yr = yb.baseAddress! + r * c
                                for j in 0..<c { yr[j] = xr[j] * a[j] + b[j] }
                            }
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
                mean.withUnsafeBufferPointer { mb in
                    inverseStd.withUnsafeBufferPointer { ib in
                        let (m, inv) = (mb.baseAddress!, ib.baseAddress!)
                        channelSums(rows: rows, into: &sums, &sums2) { range, sDy, sDyX in
                            for r in range {
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
                for j in 0..<c {
                    beta.gradient.scalars[j] = Float(sums[j])
                    gamma.gradient.scalars[j] = Float(sums2[j])
                }
                guard computeInputGradient else { return }
                inputGradient.resize(to: input.shape)
                // dx = k·dy − k·dβ/M − k·dγ/M · (x − μ)σ⁻¹ with k = γσ⁻¹:
                // per channel k·dy − shift − scale·(x − μ).
                for j in 0..<c {
                    let k = gamma.value.scalars[j] * inverseStd[j]
                    scale[j] = k * Float(sums2[j]) / Float(rows) * inverseStd[j]
                    shift[j] = k * Float(sums[j]) / Float(rows)
                    sums[j] = Double(k)
                }
                let k = sums.map { Float($0) }
                k.withUnsafeBufferPointer { kb in
                    mean.withUnsafeBufferPointer { mb in
                        scale.withUnsafeBufferPointer { ab in
                            shift.withUnsafeBufferPointer { bb in
                                inputGradient.scalars.withUnsafeMutableBufferPointer { dxb in
                                    let (kk, m, a, b) = (
                                        kb.baseAddress!, mb.baseAddress!, ab.baseAddress!, bb.baseAddress!
                                    )
                                    let parts = Workers.parts(for: rows, minimum: 256)
                                    Workers.run(parts) { part in
                                        for r in Workers.range(rows, parts: parts, part: part) {
                                            let xr = x + r * c
                                            let dr = dy + r * c
                                            let out = dxb.baseAddress! + r * c
                                            for j in 0..<c { out[j] = kk[j] * dr[j] - b[j] - a[j] * (xr[j] - m[j]) }
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
