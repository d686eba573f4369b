import Testing

@testable import Trainer

@Suite("GEMM kernel against a plain triple loop")
struct GEMMTests {
    /// C = op(A)·B (+ C) (+ bias) (ReLU) in double precision, the obvious way.
    func reference(
        transposeA: Bool, m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, c: [Float], ldc: Int,
        accumulate: Bool, bias: [Float]?, relu: Bool
    ) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c[i * ldc + j]) : 0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    sum += Double(x) * Double(b[p * ldb + j])
                }
                if let bias { sum += Double(bias[j]) }
                out[i * ldc + j] = Float(relu ? max(sum, 0) : sum)
            }
        }
        return out
    }

    /// Shapes around the tile sizes (6, 8, 12 rows; 16-column vectors; 64-column blocks), odd
    /// sizes, leading dimensions larger than the matrices, and depths beyond one depth block.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 5, 3), (13, 17, 9), (25, 33, 31), (37, 48, 75), (50, 64, 40), (23, 65, 19), (31, 130, 7),
        (6, 800, 64), (100, 32, 25), (9, 16, 2100), (5, 300, 600), (3, 7, 0),
    ]

    @Test("gemm and gemmBLAS equal the reference", arguments: shapes.indices)
    func matchesReference(shapeIndex: Int) {
        let (m, n, k) = GEMMTests.shapes[shapeIndex]
        var rng = TestRandom(UInt64(100 + shapeIndex))
        for transposeA in [false, true] {
            for (accumulate, withBias, relu) in [
                (false, false, false), (true, false, false), (false, true, true), (true, true, false),
            ] {
                let lda = (transposeA ? m : k) + 3
                let (ldb, ldc) = (n + 2, n + 5)
                let a = (0..<(lda * (transposeA ? k : m))).map { _ in rng.uniform() }
                let b = (0..<(ldb * k)).map { _ in rng.uniform() }
                let c0 = (0..<(ldc * m)).map { _ in rng.uniform() }
                let bias = withBias ? (0..<n).map { _ in rng.uniform() } : nil
                let expected = reference(
                    transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c0, ldc: ldc,
                    accumulate: accumulate, bias: bias, relu: relu)
                for useKernel in [true, false] {
                    var c = c0
                    a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                (bias ?? []).withUnsafeBufferPointer { biasp in
                                    let biasPointer = withBias ? biasp.baseAddress : nil
                                    if useKernel {
                                        gemm(
                                            transposeA: transposeA, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda,
                                            b: bp.baseAddress!, ldb: ldb, c: cp.baseAddress!, ldc: ldc,
                                            accumulate: accumulate, bias: biasPointer, relu: relu)
                                    } else {
                                        gemmBLAS(
                                            transposeA: transposeA, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda,
                                            b: bp.baseAddress!, ldb: ldb, c: cp.baseAddress!, ldc: ldc,
                                            accumulate: accumulate, bias: biasPointer, relu: relu)
                                    }
                                }
                            }
                        }
                    }
                    let tolerance = 1e-5 * Float(k + 4)
                    let worst = zip(c, expected).map { abs($0 - $1) }.max() ?? 0
                    #expect(
                        worst <= tolerance,
                        "m=\(m) n=\(n) k=\(k) transposeA=\(transposeA) accumulate=\(accumulate) bias=\(withBias) relu=\(relu) kernel=\(useKernel): off by \(worst)"
                    )
                }
            }
        }
    }
}

@Suite("Conv2D through offset tables equals Conv2D through im2col")
struct ConvPathTests {
    /// Odd sizes, stride 2, valid padding, even kernels, filter counts around the 16-lane vectors.
    static let cases: [(shape: [Int], filters: Int, kernel: Int, stride: Int, padding: Padding, relu: Bool)] = [
        ([3, 7, 9, 1], 5, 3, 1, .same, true), ([2, 11, 6, 3], 17, 5, 2, .same, false),
        ([4, 9, 9, 2], 33, 4, 1, .valid, true), ([1, 13, 10, 5], 48, 5, 2, .valid, false),
        ([5, 6, 6, 32], 64, 5, 1, .same, true),
    ]

    @Test("forward, dW, db and dX agree", arguments: cases.indices)
    func pathsAgree(index: Int) {
        let c = ConvPathTests.cases[index]
        var rng = TestRandom(UInt64(300 + index))
        let layers = [true, false].map { implicit in
            let layer = Conv2D(
                name: "c", inChannels: c.shape[3], filters: c.filters, kernelSize: c.kernel, stride: c.stride,
                padding: c.padding, activation: c.relu ? .relu : .identity, seed: 7)
            layer.implicitGEMM = implicit
            return layer
        }
        var bias = rng.tensor([c.filters])
        for layer in layers { layer.bias!.value = bias }
        bias = Tensor(shape: [0])
        let x = rng.tensor(c.shape)
        var outputs = [Tensor(shape: [0]), Tensor(shape: [0])]
        var inputGradients = outputs
        for (i, layer) in layers.enumerated() { layer.forward(x, into: &outputs[i], training: true) }
        let dy = rng.tensor(outputs[0].shape)
        for (i, layer) in layers.enumerated() {
            layer.backward(
                input: x, output: outputs[i], outputGradient: dy, inputGradient: &inputGradients[i],
                computeInputGradient: true)
        }
        func close(_ a: Tensor, _ b: Tensor) -> Bool {
            a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * (1 + abs($1)) }
        }
        #expect(close(outputs[0], outputs[1]))
        #expect(close(inputGradients[0], inputGradients[1]))
        #expect(close(layers[0].kernel.gradient, layers[1].kernel.gradient))
        #expect(close(layers[0].bias!.gradient, layers[1].bias!.gradient))
        #expect(outputs[0].scalars.contains { $0 != 0 } && layers[0].kernel.gradient.scalars.contains { $0 != 0 })
    }
}
