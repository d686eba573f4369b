import ShardKitSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

/// `ConvPool` (a convolution with its ReLU, then a max pool over disjoint windows, fused)
/// against the two layers in sequence: the output, the kernel and bias gradients and the input
/// gradient agree bit for bit, on both of Conv2D's paths (offset tables and im2col), with and
/// without the input gradient (the chunked dW path of the first layer), with the fused forward
/// pass's pieces of one image or of a worker's whole share, at every tier the CPU runs.
@Suite("ConvPool equals Conv2D then MaxPool2D, bit for bit, at every tier")
struct ConvPoolTests {
    /// Valid pooling with odd sizes (the last row and column reach no window), "same" pooling
    /// with odd sizes (clipped last windows), filter counts off the 8-lane vectors (the scalar
    /// tail), 3×3 pools (one with a leading padding row and column), stride-2 convolutions, and
    /// mnist's two shapes at a small batch.
    static let cases: [(shape: [Int], filters: Int, kernel: Int, stride: Int, pool: Int, padding: Padding)] = [
        ([2, 8, 8, 3], 16, 3, 1, 2, .valid), ([3, 7, 9, 8], 12, 3, 1, 2, .valid),
        ([2, 7, 7, 5], 21, 5, 1, 2, .same), ([2, 10, 11, 4], 8, 3, 2, 3, .valid),
        ([3, 28, 28, 1], 32, 5, 1, 2, .valid), ([2, 14, 14, 32], 64, 5, 1, 2, .valid),
        ([5, 10, 10, 3], 10, 3, 1, 3, .same),
    ]

    func check(tier: KernelTier, index: Int) {
        useTwoWorkers()
        let c = ConvPoolTests.cases[index]
        var rng = TestRandom(UInt64(700 + index))
        for implicit in [true, false] {
            for inputGradient in [true, false] {
                let make = { (name: String) in
                    let conv = Conv2D(
                        name: name, inChannels: c.shape[3], filters: c.filters, kernelSize: c.kernel,
                        stride: c.stride, activation: .relu, seed: 5)
                    conv.implicitGEMM = implicit
                    conv.kernelTier = tier
                    return conv
                }
                let (conv, plainConv) = (make("c"), make("c"))
                // A bias that pushes about half of the outputs below zero, so the mask matters.
                for j in 0..<c.filters {
                    let b = 0.3 * rng.uniform() - 0.15
                    conv.bias!.value.scalars[j] = b
                    plainConv.bias!.value.scalars[j] = b
                }
                let pool = MaxPool2D(name: "p", poolSize: c.pool, stride: c.pool, padding: c.padding)
                let plainPool = MaxPool2D(name: "p", poolSize: c.pool, stride: c.pool, padding: c.padding)
                pool.kernelTier = tier
                plainPool.kernelTier = tier
                let fused = ConvPool(conv, pool)
                // Half of the cases make the fused forward pass pool one image at a time.
                if index.isMultiple(of: 2) { fused.chunkFloats = 1 }
                #expect(fused.name == "c+p")
                #expect(fused.parameters.map(\.name) == ["c/kernel", "c/bias"])

                let x = rng.tensor(c.shape)
                var y = Tensor(shape: [0])
                var z = Tensor(shape: [0])
                var y2 = Tensor(shape: [0])
                fused.forward(x, into: &y, training: true)
                plainConv.forward(x, into: &z, training: true)
                plainPool.forward(z, into: &y2, training: true)
                #expect(y.shape == fused.outputShape(for: c.shape) && y.shape == y2.shape)
                #expect(y.scalars.map(\.bitPattern) == y2.scalars.map(\.bitPattern))
                #expect(z.scalars.contains { $0 == 0 } && z.scalars.contains { $0 > 0 })

                let dy = rng.tensor(y.shape)
                var dx = Tensor(shape: [0])
                var dz = Tensor(shape: [0])
                var dx2 = Tensor(shape: [0])
                fused.backward(
                    input: x, output: y, outputGradient: dy, inputGradient: &dx, computeInputGradient: inputGradient)
                plainPool.backward(
                    input: z, output: y2, outputGradient: dy, inputGradient: &dz, computeInputGradient: true)
                plainConv.backward(
                    input: x, output: z, outputGradient: dz, inputGradient: &dx2, computeInputGradient: inputGradient)
                let what = "case \(index) tier \(tier) implicit \(implicit) dX \(inputGradient)"
                #expect(
                    conv.kernel.gradient.scalars.map(\.bitPattern)
                        == plainConv.kernel.gradient.scalars.map(\.bitPattern), "\(what): dW")
                #expect(
                    conv.bias!.gradient.scalars.map(\.bitPattern) == plainConv.bias!.gradient.scalars.map(\.bitPattern),
                    "\(what): db")
                #expect(conv.kernel.gradient.scalars.contains { $0 != 0 }, "\(what): dW all zero")
                if inputGradient {
                    #expect(dx.scalars.map(\.bitPattern) == dx2.scalars.map(\.bitPattern), "\(what): dX")
                }
            }
        }
    }

    @Test(
        "portable", .enabled(if: CPUFeatures.runs(.portable), Comment(rawValue: CPUFeatures.whyNot(.portable))),
        arguments: cases.indices)
    func portable(index: Int) { check(tier: .portable, index: index) }

    @Test(
        "avx2", .enabled(if: CPUFeatures.runs(.avx2), Comment(rawValue: CPUFeatures.whyNot(.avx2))),
        arguments: cases.indices)
    func avx2(index: Int) { check(tier: .avx2, index: index) }

    @Test(
        "avx512", .enabled(if: CPUFeatures.runs(.avx512), Comment(rawValue: CPUFeatures.whyNot(.avx512))),
        arguments: cases.indices)
    func avx512(index: Int) { check(tier: .avx512, index: index) }

    @Test("ConvPool's gradients match finite differences")
    func gradientCheck() {
        // Small, so that few finite differences straddle a kink (a ReLU at 0 or a change of
        // which element is a window's maximum); the bit-for-bit tests above do the rest.
        var rng = TestRandom(77)
        let conv = Conv2D(name: "c", inChannels: 2, filters: 3, kernelSize: 3, activation: .relu, seed: 9)
        for j in 0..<3 { conv.bias!.value.scalars[j] = 0.1 * rng.uniform() }
        let layer = ConvPool(conv, MaxPool2D(name: "p"))
        let x = rng.awayFromZero([1, 4, 5, 2])
        let (bad, checked) = checkLayerGradients(layer, input: x, h: 1e-3)
        #expect(checked == x.count + 3 * 3 * 2 * 3 + 3)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test("the mnist model fuses each convolution with its pool and keeps the parameter names")
    func mnistLayers() {
        let model = Model.mnist(seed: 1)
        #expect(model.trunk.map(\.name).prefix(2) == ["conv1+pool1", "conv2+pool2"])
        #expect(model.parameters.map(\.name).prefix(4) == ["conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias"])
    }
}
