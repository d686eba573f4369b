import Testing

import ShardKitSupport
@_spi(Benchmarks) @testable import Trainer

/// Runs `BatchNorm(activation: .relu)` and `BatchNorm` + `ReLU` side by side on the same input
/// and upstream gradient; every output, gradient and running statistic must agree bit for bit.
private func compareFusedBatchNormReLU(shape: [Int], seed: UInt64, training: Bool) {
    useTwoWorkers()
    var rng = TestRandom(seed)
    let c = shape.last!
    let fused = BatchNorm(name: "f", channels: c, momentum: 0.9, activation: .relu)
    let plain = BatchNorm(name: "p", channels: c, momentum: 0.9)
    let relu = ReLU(name: "r")
    for j in 0..<c {
        let (g, b, mm, mv) = (1 + 0.5 * rng.uniform(), 0.5 * rng.uniform(), rng.uniform(), 1.5 + rng.uniform())
        for layer in [fused, plain] {
            layer.gamma.value.scalars[j] = g
            layer.beta.value.scalars[j] = b
            layer.movingMean.value.scalars[j] = mm
            layer.movingVariance.value.scalars[j] = mv
        }
    }
    var x = rng.tensor(shape)
    for i in x.scalars.indices { x.scalars[i] = 2 + 3 * x.scalars[i] }
    var y1 = Tensor(shape: [0])
    var z = Tensor(shape: [0])
    var y2 = Tensor(shape: [0])
    fused.forward(x, into: &y1, training: training)
    plain.forward(x, into: &z, training: training)
    relu.forward(z, into: &y2, training: training)
    #expect(y1.scalars.map(\.bitPattern) == y2.scalars.map(\.bitPattern))
    #expect(y1.scalars.contains { $0 == 0 } && y1.scalars.contains { $0 > 0 })
    #expect(fused.movingMean.value.scalars.map(\.bitPattern) == plain.movingMean.value.scalars.map(\.bitPattern))
    #expect(
        fused.movingVariance.value.scalars.map(\.bitPattern) == plain.movingVariance.value.scalars.map(\.bitPattern))
    guard training else { return }
    let dy = rng.tensor(y1.shape)
    var dx1 = Tensor(shape: [0])
    var dz = Tensor(shape: [0])
    var dx2 = Tensor(shape: [0])
    fused.backward(input: x, output: y1, outputGradient: dy, inputGradient: &dx1, computeInputGradient: true)
    relu.backward(input: z, output: y2, outputGradient: dy, inputGradient: &dz, computeInputGradient: true)
    plain.backward(input: x, output: z, outputGradient: dz, inputGradient: &dx2, computeInputGradient: true)
    #expect(dx1.scalars.map(\.bitPattern) == dx2.scalars.map(\.bitPattern))
    #expect(fused.gamma.gradient.scalars.map(\.bitPattern) == plain.gamma.gradient.scalars.map(\.bitPattern))
    #expect(fused.beta.gradient.scalars.map(\.bitPattern) == plain.beta.gradient.scalars.map(\.bitPattern))
}

/// `BatchNormPool` against `BatchNorm` then `MaxPool2D`, bit for bit.
private func compareBatchNormPool(
    shape: [Int], poolSize: Int, padding: Padding, activation: Activation, seed: UInt64, training: Bool
) {
    useTwoWorkers()
    var rng = TestRandom(seed)
    let c = shape.last!
    let bn = BatchNorm(name: "a", channels: c, momentum: 0.9, activation: activation)
    let plain = BatchNorm(name: "b", channels: c, momentum: 0.9, activation: activation)
    for j in 0..<c {
        let (g, b, mm, mv) = (1 + 0.5 * rng.uniform(), 0.5 * rng.uniform(), rng.uniform(), 1.5 + rng.uniform())
        for layer in [bn, plain] {
            layer.gamma.value.scalars[j] = g
            layer.beta.value.scalars[j] = b
            layer.movingMean.value.scalars[j] = mm
            layer.movingVariance.value.scalars[j] = mv
        }
    }
    let fused = BatchNormPool(bn, MaxPool2D(name: "p", poolSize: poolSize, stride: poolSize, padding: padding))
    let pool = MaxPool2D(name: "q", poolSize: poolSize, stride: poolSize, padding: padding)
    #expect(fused.name == "a+p")
    #expect(fused.parameters.map(\.name) == bn.parameters.map(\.name))
    let x = rng.tensor(shape)
    var y1 = Tensor(shape: [0])
    var z = Tensor(shape: [0])
    var y2 = Tensor(shape: [0])
    fused.forward(x, into: &y1, training: training)
    plain.forward(x, into: &z, training: training)
    pool.forward(z, into: &y2, training: training)
    #expect(y1.shape == y2.shape && y1.shape == fused.outputShape(for: shape))
    #expect(y1.scalars.map(\.bitPattern) == y2.scalars.map(\.bitPattern))
    #expect(bn.movingVariance.value.scalars.map(\.bitPattern) == plain.movingVariance.value.scalars.map(\.bitPattern))
    guard training else { return }
    let dy = rng.tensor(y1.shape)
    var dx1 = Tensor(shape: [0])
    var dz = Tensor(shape: [0])
    var dx2 = Tensor(shape: [0])
    fused.backward(input: x, output: y1, outputGradient: dy, inputGradient: &dx1, computeInputGradient: true)
    pool.backward(input: z, output: y2, outputGradient: dy, inputGradient: &dz, computeInputGradient: true)
    plain.backward(input: x, output: z, outputGradient: dz, inputGradient: &dx2, computeInputGradient: true)
    #expect(dx1.shape == x.shape)
    #expect(dx1.scalars.map(\.bitPattern) == dx2.scalars.map(\.bitPattern))
    #expect(bn.gamma.gradient.scalars.map(\.bitPattern) == plain.gamma.gradient.scalars.map(\.bitPattern))
    #expect(bn.beta.gradient.scalars.map(\.bitPattern) == plain.beta.gradient.scalars.map(\.bitPattern))
}

@Suite("Fused element-wise layers")
struct FusedLayerTests {
    @Test(
        "BatchNorm with a fused ReLU equals BatchNorm then ReLU bit for bit (one and two workers, SIMD and scalar channels)",
        arguments: [
            ([2, 3, 2, 3], true), ([3, 5, 4, 16], true), ([8, 9, 8, 11], true), ([16, 6, 6, 48], true),
            ([40, 24], true), ([3, 5, 4, 16], false), ([8, 9, 8, 11], false),
        ])
    func batchNormReLUBits(shape: [Int], training: Bool) {
        compareFusedBatchNormReLU(shape: shape, seed: UInt64(shape.reduce(1, *)), training: training)
    }

    @Test("BatchNorm with a fused ReLU against finite differences (inputs chosen away from the kink)")
    func batchNormReLUGradient() throws {
        // A step of h moves an output by at most ≈ 0.015 here; pick inputs whose outputs all
        // stay 0.04 away from ReLU's kink so the central difference sees a smooth function.
        var found: (BatchNorm, Tensor)?
        for seed in UInt64(1)...200 {
            var rng = TestRandom(seed)
            let layer = BatchNorm(name: "bn", channels: 3, activation: .relu)
            for j in 0..<3 {
                layer.gamma.value.scalars[j] = 1 + 0.5 * rng.uniform()
                layer.beta.value.scalars[j] = 0.3 * rng.uniform()
            }
            let x = rng.tensor([2, 3, 2, 3])
            var y = Tensor(shape: [0])
            var z = Tensor(shape: [0])
            layer.forward(x, into: &y, training: true)
            BatchNorm(name: "plain", channels: 3).forward(x, into: &z, training: true)
            let pre = zip(z.scalars, (0..<z.count).map { $0 % 3 }).map {
                $0.0 * layer.gamma.value.scalars[$0.1] + layer.beta.value.scalars[$0.1]
            }
            if pre.allSatisfy({ abs($0) > 0.04 }) && pre.contains(where: { $0 < 0 }) {
                found = (layer, x)
                break
            }
        }
        let (layer, x) = try #require(found)
        let (bad, checked) = checkLayerGradients(layer, input: x, h: 5e-3)
        #expect(checked == 36 + 6)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test("BatchNorm statistics stay exact for a large offset (one-pass shifted sums) and split over workers")
    func batchNormOffset() {
        useTwoWorkers()
        var rng = TestRandom(77)
        let c = 10
        let layer = BatchNorm(name: "bn", channels: c, momentum: 0)
        var x = rng.tensor([4, 16, 16, c])
        for i in x.scalars.indices { x.scalars[i] = 1000 + Float(i % c) + 0.01 * x.scalars[i] }
        var y = Tensor(shape: [0])
        layer.forward(x, into: &y, training: true)
        for j in 0..<c {
            let v = stride(from: j, to: x.count, by: c).map { Double(x.scalars[$0]) }
            let mean = v.reduce(0, +) / Double(v.count)
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
            #expect(abs(Double(layer.movingMean.value.scalars[j]) - mean) < 1e-4)
            #expect(abs(Double(layer.movingVariance.value.scalars[j]) - variance) < 1e-3 * variance)
        }
    }

    @Test("The digits model fuses each batch norm, ReLU and max pool into one layer; checkpoint names are unchanged")
    func digitsLayers() {
        let model = Model.digits(seed: 0)
        let names = model.trunk.map(\.name)
        #expect(!names.contains { $0.hasPrefix("relu") })
        for b in 1...3 {
            let fused = model.trunk.first { $0.name == "bn\(b)+pool\(b)" } as? BatchNormPool
            #expect(fused?.batchNorm.activation == .relu)
            #expect(fused?.pool.padding == .same)
        }
        let tensors = Set(model.checkpoint().tensors.keys)
        for b in 1...3 {
            for p in ["gamma", "beta", "moving_mean", "moving_variance"] { #expect(tensors.contains("bn\(b)/\(p)")) }
        }
    }

    @Test("ReLU forward: vector body and scalar tail agree with max(x, 0), −0 becomes +0")
    func reluForward() {
        useTwoWorkers()
        var rng = TestRandom(5)
        var x = rng.tensor([3, 7, 7, 3])
        x.scalars[0] = -0.0
        x.scalars[x.count - 1] = -0.0
        var y = Tensor(shape: [0])
        ReLU(name: "r").forward(x, into: &y, training: true)
        #expect(y.scalars.map(\.bitPattern) == x.scalars.map { max($0, 0).bitPattern })
    }

    @Test(
        "BatchNormPool equals BatchNorm then MaxPool2D bit for bit (odd sizes, padding before, uncovered rows, two workers)",
        arguments: [
            ([4, 9, 9, 16], 2, Padding.same, Activation.relu, true),
            ([3, 10, 7, 11], 2, Padding.valid, Activation.relu, true),
            ([16, 8, 8, 24], 2, Padding.same, Activation.relu, true),
            ([2, 7, 8, 9], 3, Padding.same, Activation.relu, true),
            ([2, 7, 8, 9], 3, Padding.valid, Activation.identity, true),
            ([3, 10, 7, 11], 2, Padding.same, Activation.identity, true),
            ([4, 9, 9, 16], 2, Padding.same, Activation.relu, false),
        ])
    func batchNormPoolBits(shape: [Int], poolSize: Int, padding: Padding, activation: Activation, training: Bool) {
        compareBatchNormPool(
            shape: shape, poolSize: poolSize, padding: padding, activation: activation,
            seed: UInt64(shape.reduce(1, *) + poolSize), training: training)
    }

    @Test(
        "BatchNormPool against finite differences (inputs chosen away from ReLU kinks and pooling ties)",
        arguments: [Activation.relu, Activation.identity])
    func batchNormPoolGradient(activation: Activation) throws {
        // A step of h moves a pre-activation by at most ≈ 0.015: keep every one 0.04 from zero
        // and every window's two largest 0.06 apart, so the objective is smooth within ±h.
        var found: (BatchNormPool, Tensor)?
        for seed in UInt64(1)...400 {
            var rng = TestRandom(seed)
            let bn = BatchNorm(name: "bn", channels: 3, activation: activation)
            for j in 0..<3 {
                bn.gamma.value.scalars[j] = 1 + 0.5 * rng.uniform()
                bn.beta.value.scalars[j] = 0.3 * rng.uniform()
            }
            let x = rng.tensor([2, 4, 4, 3])
            var z = Tensor(shape: [0])
            BatchNorm(name: "plain", channels: 3).forward(x, into: &z, training: true)
            let pre = z.scalars.indices.map {
                z.scalars[$0] * bn.gamma.value.scalars[$0 % 3] + bn.beta.value.scalars[$0 % 3]
            }
            var smooth = activation == .identity || pre.allSatisfy { abs($0) > 0.04 }
            for b in 0..<2 {
                for oy in 0..<2 {
                    for ox in 0..<2 {
                        for j in 0..<3 {
                            var v: [Float] = []
                            for dy in 0..<2 {
                                for dx in 0..<2 { v.append(pre[((b * 4 + 2 * oy + dy) * 4 + 2 * ox + dx) * 3 + j]) }
                            }
                            v.sort(by: >)
                            let clamped = activation == .relu && v[0] < -0.04
                            if !clamped && v[0] - v[1] < 0.06 { smooth = false }
                        }
                    }
                }
            }
            if smooth {
                found = (BatchNormPool(bn, MaxPool2D(name: "pool")), x)
                break
            }
        }
        let (layer, x) = try #require(found)
        let (bad, checked) = checkLayerGradients(layer, input: x, h: 5e-3)
        #expect(checked == 96 + 6)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test(
        "Dropout's mask: two draws of 32 bits per generator step, odd counts, state carried over, split over workers",
        arguments: [[3, 37], [2, 40_001]])
    func dropoutMask(shape: [Int]) {
        // 80 002 elements make two worker parts of 40 001, the second starting at an odd element.
        useTwoWorkers()
        var rng = TestRandom(13)
        let x = rng.awayFromZero(shape)
        let layer = Dropout(name: "d", rate: 0.3, seed: 42)
        var reference = SeededGenerator(seed: 42)
        let threshold = UInt64((Double(Float(0.3)) * 4_294_967_296).rounded())
        let scale = 1 / (1 - Float(0.3))
        for _ in 0..<2 {
            var y = Tensor(shape: [0])
            layer.forward(x, into: &y, training: true)
            var expected = [Float](repeating: 0, count: x.count)
            var i = 0
            while i < x.count {
                let bits = reference.next()
                expected[i] = x.scalars[i] * ((bits & 0xFFFF_FFFF) >= threshold ? scale : 0)
                if i + 1 < x.count { expected[i + 1] = x.scalars[i + 1] * ((bits >> 32) >= threshold ? scale : 0) }
                i += 2
            }
            #expect(y.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
            var dx = Tensor(shape: [0])
            layer.backward(input: x, output: y, outputGradient: x, inputGradient: &dx, computeInputGradient: true)
            #expect(dx.scalars.map(\.bitPattern) == y.scalars.map(\.bitPattern), "dx = dy·mask, with dy = x here")
        }
    }

    @Test("BatchNorm forward and backward agree with a Double-precision reference on a digits-sized block")
    func batchNormAccuracy() {
        useTwoWorkers()
        var rng = TestRandom(101)
        let (rows, c) = (8 * 27 * 27, 64)
        let layer = BatchNorm(name: "bn", channels: c)
        for j in 0..<c {
            layer.gamma.value.scalars[j] = 1 + 0.5 * rng.uniform()
            layer.beta.value.scalars[j] = 0.5 * rng.uniform()
        }
        var x = rng.tensor([8, 27, 27, c])
        for i in x.scalars.indices { x.scalars[i] = 0.7 + Float(i % c) * 0.05 + 2 * x.scalars[i] }
        let dy = rng.tensor(x.shape)
        var y = Tensor(shape: [0])
        var dx = Tensor(shape: [0])
        layer.forward(x, into: &y, training: true)
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: &dx, computeInputGradient: true)
        var worst = (y: 0.0, dx: 0.0, dGamma: 0.0, dBeta: 0.0)
        for j in 0..<c {
            let xs = (0..<rows).map { Double(x.scalars[$0 * c + j]) }
            let gs = (0..<rows).map { Double(dy.scalars[$0 * c + j]) }
            let mean = xs.reduce(0, +) / Double(rows)
            let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rows)
            let inv = 1 / (variance + 1e-3).squareRoot()
            let (g, b) = (Double(layer.gamma.value.scalars[j]), Double(layer.beta.value.scalars[j]))
            let xhat = xs.map { ($0 - mean) * inv }
            let dBeta = gs.reduce(0, +)
            let dGamma = zip(gs, xhat).map { $0 * $1 }.reduce(0, +)
            for r in 0..<rows {
                worst.y = max(worst.y, abs(Double(y.scalars[r * c + j]) - (xhat[r] * g + b)))
                let dxRef = g * inv * (gs[r] - dBeta / Double(rows) - xhat[r] * dGamma / Double(rows))
                worst.dx = max(worst.dx, abs(Double(dx.scalars[r * c + j]) - dxRef))
            }
            worst.dGamma = max(worst.dGamma, abs(Double(layer.gamma.gradient.scalars[j]) - dGamma))
            worst.dBeta = max(worst.dBeta, abs(Double(layer.beta.gradient.scalars[j]) - dBeta))
        }
        #expect(worst.y < 5e-6, "\(worst)")
        #expect(worst.dx < 5e-6, "\(worst)")
        #expect(worst.dGamma < 1e-3 && worst.dBeta < 1e-3, "\(worst)")
    }

    @Test(
        "MaxPool2D with ties routes the gradient to the first maximum in window order (full 2×2 and clipped windows)",
        arguments: [([2, 6, 8, 19], Padding.valid), ([2, 7, 5, 19], Padding.same), ([1, 5, 5, 8], Padding.valid)])
    func maxPoolTies(shape: [Int], padding: Padding) {
        useTwoWorkers()
        var rng = TestRandom(17)
        var x = Tensor(shape: shape)
        for i in x.scalars.indices { x.scalars[i] = Float(rng.next() % 3) }
        let layer = MaxPool2D(name: "p", padding: padding)
        var y = Tensor(shape: [0])
        layer.forward(x, into: &y, training: true)
        let dy = rng.tensor(y.shape)
        var dx = Tensor(shape: [0])
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: &dx, computeInputGradient: true)
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = (y.shape[1], y.shape[2])
        let pad = 0  // 2×2 windows with stride 2: TensorFlow pads after the input, never before
        var expectedY = [Float](repeating: 0, count: y.count)
        var expectedDx = [Float](repeating: 0, count: x.count)
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for j in 0..<c {
                        var best = -Float.infinity
                        var at = -1
                        for iy in (2 * oy - pad)..<min(2 * oy - pad + 2, h) {
                            for ix in (2 * ox - pad)..<min(2 * ox - pad + 2, w) {
                                let i = ((b * h + iy) * w + ix) * c + j
                                if at < 0 || x.scalars[i] > best { (best, at) = (x.scalars[i], i) }
                            }
                        }
                        let o = ((b * oh + oy) * ow + ox) * c + j
                        expectedY[o] = best
                        expectedDx[at] += dy.scalars[o]
                    }
                }
            }
        }
        #expect(y.scalars == expectedY)
        #expect(dx.scalars.map(\.bitPattern) == expectedDx.map(\.bitPattern))
    }
}
