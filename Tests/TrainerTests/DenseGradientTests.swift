import Testing

@_spi(Benchmarks) @testable import Trainer

/// Dense's backward pass split over two workers (each takes a column block of the output
/// gradient: the ReLU mask, the bias sums, dW and its rows of Gᵀ), against a Double-precision
/// reference. 5 items, 37 inputs and 300 outputs: two blocks of 150, each ending off the 8-lane
/// vectors, and dX through Gᵀ and dXᵀ. 40 items, 300 inputs and 10 outputs (a narrow head): one
/// block, and dX = G·Wᵀ through the transposed kernel, in two column blocks of dX. (Named for
/// the filter of `make test`'s run capped at the portable tier, where `gemm` is OpenBLAS.)
@Suite("Dense backward over two workers equals a Double reference")
struct DenseGradientTests {
    @Test(
        "dW, the bias gradient and dX",
        arguments: [Activation.relu, .identity], [(5, 37, 300), (40, 300, 10)])
    func backward(activation: Activation, sizes: (Int, Int, Int)) {
        useTwoWorkers()
        let (n, inputs, outputs) = sizes
        #expect(Workers.parts(for: max(outputs, inputs), minimum: 128) == 2)
        #expect((inputs * outputs < n * (inputs + outputs)) == (outputs == 10), "the dX path under test")
        var rng = TestRandom(activation == .relu ? 31 : 32)
        let layer = Dense(name: "d", inputSize: inputs, outputSize: outputs, activation: activation, seed: 4)
        for j in 0..<outputs { layer.bias.value.scalars[j] = 0.2 * rng.uniform() }
        let x = rng.tensor([n, inputs])
        var y = Tensor(shape: [0])
        layer.forward(x, into: &y, training: true)
        let dy = rng.tensor(y.shape)
        var dx = Tensor(shape: [0])
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: &dx, computeInputGradient: true)

        let w = layer.kernel.value.scalars
        // The gradient at the pre-activation.
        var g = [Double](repeating: 0, count: n * outputs)
        for i in 0..<n * outputs {
            g[i] = activation == .relu && y.scalars[i] <= 0 ? 0 : Double(dy.scalars[i])
        }
        if activation == .relu { #expect(g.contains(0) && g.contains { $0 != 0 }) }
        func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-5 + 1e-5 * abs(b) }
        var bad = 0
        for j in 0..<outputs {
            var db = 0.0
            for i in 0..<n { db += g[i * outputs + j] }
            if !close(layer.bias.gradient.scalars[j], db) { bad += 1 }
            for p in 0..<inputs {
                var dw = 0.0
                for i in 0..<n { dw += Double(x.scalars[i * inputs + p]) * g[i * outputs + j] }
                if !close(layer.kernel.gradient.scalars[p * outputs + j], dw) { bad += 1 }
            }
        }
        for i in 0..<n {
            for p in 0..<inputs {
                var v = 0.0
                for j in 0..<outputs { v += g[i * outputs + j] * Double(w[p * outputs + j]) }
                if !close(dx.scalars[i * inputs + p], v) { bad += 1 }
            }
        }
        #expect(bad == 0)
    }
}
