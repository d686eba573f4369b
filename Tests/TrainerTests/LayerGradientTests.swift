import Testing

@_spi(Benchmarks) @testable import Trainer

@Suite("Layer gradients against finite differences")
struct LayerGradientTests {
    @Test(
        "Conv2D, stride 1 and 2, same and valid padding, with bias",
        arguments: [
            (1, Padding.same), (2, Padding.same), (1, Padding.valid), (2, Padding.valid),
        ])
    func conv(stride: Int, padding: Padding) {
        var rng = TestRandom(UInt64(stride * 10 + (padding == .same ? 1 : 2)))
        let layer = Conv2D(
            name: "c", inChannels: 2, filters: 3, kernelSize: 3, stride: stride, padding: padding, seed: 3)
        for i in layer.bias!.value.scalars.indices { layer.bias!.value.scalars[i] = rng.uniform() }
        let input = rng.tensor([2, 6, 5, 2])
        let (bad, checked) = checkLayerGradients(layer, input: input)
        #expect(checked == input.count + layer.kernel.value.count + 3)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test("Conv2D with an even kernel and odd input (asymmetric same padding), no bias")
    func convEvenKernel() {
        var rng = TestRandom(5)
        let layer = Conv2D(name: "c", inChannels: 3, filters: 2, kernelSize: 4, stride: 2, useBias: false, seed: 9)
        let (bad, _) = checkLayerGradients(layer, input: rng.tensor([1, 7, 7, 3]))
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test("Conv2D processed in several image chunks equals one chunk")
    func convChunks() {
        // 40 images of 16×16×8 with 5×5 kernels need 40·256·200 floats > columnBudget/… ;
        // compare against per-image results.
        var rng = TestRandom(11)
        let layer = Conv2D(name: "c", inChannels: 8, filters: 4, kernelSize: 5, seed: 1)
        let n = Conv2D.columnBudget / (16 * 16 * 200) + 2
        let input = rng.tensor([n, 16, 16, 8])
        var all = Tensor(shape: [0])
        layer.forward(input, into: &all, training: true)
        let per = input.itemCount
        for i in [0, n - 1] {
            let one = Tensor(shape: [1, 16, 16, 8], scalars: Array(input.scalars[(i * per)..<((i + 1) * per)]))
            var y = Tensor(shape: [0])
            layer.forward(one, into: &y, training: true)
            let slice = Array(all.scalars[(i * y.count)..<((i + 1) * y.count)])
            #expect(zip(slice, y.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        }
    }

    @Test("Conv2D with fused ReLU equals Conv2D then ReLU (forward and backward)")
    func convFusedReLU() {
        var rng = TestRandom(21)
        let fused = Conv2D(name: "a", inChannels: 2, filters: 3, kernelSize: 3, activation: .relu, seed: 4)
        let plain = Conv2D(name: "b", inChannels: 2, filters: 3, kernelSize: 3, seed: 4)
        let relu = ReLU(name: "r")
        let x = rng.tensor([2, 5, 5, 2])
        var y1 = Tensor(shape: [0])
        var z = Tensor(shape: [0])
        var y2 = Tensor(shape: [0])
        fused.forward(x, into: &y1, training: true)
        plain.forward(x, into: &z, training: true)
        relu.forward(z, into: &y2, training: true)
        #expect(y1 == y2)
        let dy = rng.tensor(y1.shape)
        var dx1 = Tensor(shape: [0])
        var dz = Tensor(shape: [0])
        var dx2 = Tensor(shape: [0])
        fused.backward(input: x, output: y1, outputGradient: dy, inputGradient: &dx1, computeInputGradient: true)
        relu.backward(input: z, output: y2, outputGradient: dy, inputGradient: &dz, computeInputGradient: true)
        plain.backward(input: x, output: z, outputGradient: dz, inputGradient: &dx2, computeInputGradient: true)
        #expect(dx1 == dx2)
        #expect(fused.kernel.gradient == plain.kernel.gradient)
        #expect(fused.bias!.gradient == plain.bias!.gradient)
    }

    @Test(
        "MaxPool2D 2×2 on even and odd sizes, valid and same",
        arguments: [
            ([2, 4, 6, 3], Padding.valid), ([2, 5, 7, 3], Padding.same), ([1, 5, 5, 2], Padding.valid),
            ([2, 5, 6, 19], Padding.valid), ([3, 5, 3, 16], Padding.same),
        ])
    func maxPool(shape: [Int], padding: Padding) {
        var rng = TestRandom(31)
        let layer = MaxPool2D(name: "p", padding: padding)
        let (bad, _) = checkLayerGradients(layer, input: rng.distinct(shape), h: 1e-2)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test(
        "MaxPool2D 3×3 with stride 3 (disjoint windows, padding before) and stride 2 (overlapping windows)",
        arguments: [(3, Padding.same), (3, Padding.valid), (2, Padding.same), (2, Padding.valid)])
    func maxPoolWindows(stride: Int, padding: Padding) {
        var rng = TestRandom(33)
        let layer = MaxPool2D(name: "p", poolSize: 3, stride: stride, padding: padding)
        let (bad, _) = checkLayerGradients(layer, input: rng.distinct([2, 7, 8, 9]), h: 1e-2)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test("MaxPool2D same padding on odd input: output size and clipped window")
    func maxPoolShape() {
        let layer = MaxPool2D(name: "p", padding: .same)
        #expect(layer.outputShape(for: [1, 27, 27, 4]) == [1, 14, 14, 4])
        #expect(MaxPool2D(name: "v").outputShape(for: [1, 27, 27, 4]) == [1, 13, 13, 4])
        let x = Tensor(shape: [1, 3, 3, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        var y = Tensor(shape: [0])
        layer.forward(x, into: &y, training: false)
        #expect(y.scalars == [5, 6, 8, 9])
    }

    @Test("Dense, on [N, F] and on [N, H, W, C] input")
    func dense() {
        var rng = TestRandom(41)
        let layer = Dense(name: "d", inputSize: 6, outputSize: 4, seed: 2)
        for i in layer.bias.value.scalars.indices { layer.bias.value.scalars[i] = rng.uniform() }
        let (bad, checked) = checkLayerGradients(layer, input: rng.tensor([3, 6]))
        #expect(checked == 18 + 24 + 4)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
        // Dense accepts [N, H, W, C] input as [N, H·W·C].
        let flatInput = Dense(name: "f", inputSize: 12, outputSize: 3, seed: 2)
        let (bad2, _) = checkLayerGradients(flatInput, input: rng.tensor([2, 2, 3, 2]))
        #expect(bad2.isEmpty, "\(bad2.prefix(5))")
    }

    @Test("ReLU and Flatten")
    func reluFlatten() {
        var rng = TestRandom(51)
        let (bad, _) = checkLayerGradients(ReLU(name: "r"), input: rng.awayFromZero([2, 3, 3, 2]))
        #expect(bad.isEmpty, "\(bad.prefix(5))")
        let (bad2, _) = checkLayerGradients(Flatten(name: "f"), input: rng.tensor([2, 3, 2, 2]))
        #expect(bad2.isEmpty)
        #expect(Flatten(name: "f").outputShape(for: [5, 3, 2, 2]) == [5, 12])
    }

    @Test("BatchNorm over N·H·W per channel and over N for features")
    func batchNorm() {
        var rng = TestRandom(61)
        let layer = BatchNorm(name: "bn", channels: 3)
        for i in 0..<3 {
            layer.gamma.value.scalars[i] = 1 + 0.5 * rng.uniform()
            layer.beta.value.scalars[i] = rng.uniform()
        }
        let (bad, checked) = checkLayerGradients(layer, input: rng.tensor([2, 3, 2, 3]), h: 5e-3)
        #expect(checked == 36 + 6)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
        let (bad2, _) = checkLayerGradients(BatchNorm(name: "b2", channels: 4), input: rng.tensor([5, 4]), h: 5e-3)
        #expect(bad2.isEmpty, "\(bad2.prefix(5))")
    }

    @Test("Layers split over two workers: BatchNorm over 512 rows, wide Dense, Conv2D and pooling over images")
    func parallelSplits() {
        var rng = TestRandom(63)
        let bn = BatchNorm(name: "bn", channels: 3)
        for i in 0..<3 { bn.gamma.value.scalars[i] = 1 + 0.5 * rng.uniform() }
        let (bad, _) = checkLayerGradients(bn, input: rng.tensor([8, 8, 8, 3]), h: 5e-3)
        #expect(bad.isEmpty, "\(bad.prefix(5))")
        let wide = Dense(name: "w", inputSize: 3, outputSize: 260, seed: 1)
        let (bad2, _) = checkLayerGradients(wide, input: rng.tensor([2, 3]))
        #expect(bad2.isEmpty, "\(bad2.prefix(5))")
        let tall = Dense(name: "t", inputSize: 300, outputSize: 2, seed: 1)
        let (bad3, _) = checkLayerGradients(tall, input: rng.tensor([3, 300]))
        #expect(bad3.isEmpty, "\(bad3.prefix(5))")
        let conv = Conv2D(name: "c", inChannels: 1, filters: 2, kernelSize: 3, activation: .identity, seed: 5)
        let (bad4, _) = checkLayerGradients(conv, input: rng.tensor([5, 4, 4, 1]))
        #expect(bad4.isEmpty, "\(bad4.prefix(5))")
    }

    @Test("BatchNorm normalises in training and uses running statistics in inference")
    func batchNormStatistics() {
        var rng = TestRandom(62)
        let layer = BatchNorm(name: "bn", channels: 2, momentum: 0.5)
        var x = rng.tensor([4, 3, 3, 2])
        for i in x.scalars.indices { x.scalars[i] = 3 + 2 * x.scalars[i] }
        var y = Tensor(shape: [0])
        layer.forward(x, into: &y, training: true)
        for c in 0..<2 {
            let v = stride(from: c, to: y.count, by: 2).map { Double(y.scalars[$0]) }
            let mean = v.reduce(0, +) / Double(v.count)
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
            #expect(abs(mean) < 1e-5)
            #expect(abs(variance - 1) < 0.01)  // ε = 1e-3 makes it slightly below 1
            let xs = stride(from: c, to: x.count, by: 2).map { Double(x.scalars[$0]) }
            let xm = xs.reduce(0, +) / Double(xs.count)
            #expect(abs(Double(layer.movingMean.value.scalars[c]) - 0.5 * xm) < 1e-5)
        }
        var inference = Tensor(shape: [0])
        layer.forward(x, into: &inference, training: false)
        let s = 1 / (layer.movingVariance.value.scalars[0] + 1e-3).squareRoot()
        #expect(abs(inference.scalars[0] - (x.scalars[0] - layer.movingMean.value.scalars[0]) * s) < 1e-5)
    }

    @Test("Dropout: inverted scaling, seeded mask, gradient through the same mask, identity at inference")
    func dropout() {
        var rng = TestRandom(71)
        let x = rng.awayFromZero([4, 500])
        let a = Dropout(name: "d", rate: 0.5, seed: 3)
        let b = Dropout(name: "d", rate: 0.5, seed: 3)
        var ya = Tensor(shape: [0])
        var yb = Tensor(shape: [0])
        a.forward(x, into: &ya, training: true)
        b.forward(x, into: &yb, training: true)
        #expect(ya == yb)
        let kept = zip(ya.scalars, x.scalars).filter { $0.0 != 0 }
        #expect(kept.allSatisfy { $0.0 == 2 * $0.1 })
        #expect(abs(Double(kept.count) / Double(x.count) - 0.5) < 0.05)
        let dy = rng.tensor(x.shape)
        var dx = Tensor(shape: [0])
        a.backward(input: x, output: ya, outputGradient: dy, inputGradient: &dx, computeInputGradient: true)
        for i in x.scalars.indices { #expect(dx.scalars[i] == dy.scalars[i] * (ya.scalars[i] / x.scalars[i])) }
        var yi = Tensor(shape: [0])
        a.forward(x, into: &yi, training: false)
        #expect(yi == x)
    }
}

/// y = x², with a deliberately wrong backward (dx = dy·x, missing the factor 2).
private final class WrongSquare: Layer {
    let name = "wrong"
    func outputShape(for inputShape: [Int]) -> [Int] { inputShape }
    func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output = Tensor(shape: input.shape, scalars: input.scalars.map { $0 * $0 })
    }
    func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        inputGradient = Tensor(shape: input.shape, scalars: zip(input.scalars, outputGradient.scalars).map { $0 * $1 })
    }
}

@Test("The gradient checker itself rejects a wrong backward")
func checkerDetectsWrongGradient() {
    var rng = TestRandom(99)
    let (bad, checked) = checkLayerGradients(WrongSquare(), input: rng.awayFromZero([2, 5]))
    #expect(checked == 10)
    #expect(bad.count == 10)
}
