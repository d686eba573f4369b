import ShardKitSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

/// The GEMM kernels of each tier against a plain triple loop, and Conv2D's two paths against each
/// other at each tier. A tier this process cannot run (the CPU lacks it, or SHARDKIT_ISA caps
/// the process below it) is skipped with the reason; the C side would clamp it down anyway, so
/// running it would only test a lower tier twice.
@Suite("GEMM kernels against a plain triple loop")
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

    /// Shapes around the tile sizes (6, 8, 12 rows; 8- and 16-column vectors; column blocks of
    /// 2 to 4 vectors), odd sizes, leading dimensions larger than the matrices, and depths beyond
    /// one depth block; with 256 rows or more (B's rows are `ldb` > n apart in every case), the
    /// C driver copies B into contiguous column blocks first.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 5, 3), (13, 17, 9), (25, 33, 31), (37, 48, 75), (50, 64, 40), (23, 65, 19), (31, 130, 7),
        (6, 800, 64), (100, 32, 25), (9, 16, 2100), (5, 300, 600), (3, 7, 0), (11, 40, 13), (29, 8, 6),
        (300, 130, 37), (256, 20, 90),
        // A dense layer's forward shape (few rows, n·k ≥ 2²⁰): `gemm` hands it to OpenBLAS at avx2.
        (4, 520, 2017),
    ]

    /// The ways of computing one product that `check` compares with the reference.
    enum Path: CustomStringConvertible {
        /// `gemm` at the tier: our tiles at avx2/avx512 (OpenBLAS for a dense forward shape at
        /// avx2), OpenBLAS at the portable tier.
        case gemm
        /// Our C kernel of the tier with strided A (`gemmTiles`).
        case tiles
        /// Our C kernel of the tier with A through offset tables (`gemmGathered`).
        case gathered
        /// `cblas_sgemm` and a separate bias and ReLU pass.
        case blas

        var description: String {
            switch self {
            case .gemm: "gemm"
            case .tiles: "tiles"
            case .gathered: "gathered"
            case .blas: "blas"
            }
        }
    }

    func check(tier: KernelTier, paths: [Path], shapeIndex: Int) {
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
                // The same A as offset tables: A(i, p) = a[rowOffsets[i] + depthOffsets[p]].
                let rowOffsets = (0..<m).map { transposeA ? $0 : $0 * lda }
                let depthOffsets = (0..<k).map { transposeA ? $0 * lda : $0 }
                for path in paths {
                    var c = c0
                    a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                (bias ?? []).withUnsafeBufferPointer { biasp in
                                    let (a, b, c) = (ap.baseAddress!, bp.baseAddress!, cp.baseAddress!)
                                    let biasPointer = withBias ? biasp.baseAddress : nil
                                    switch path {
                                    case .gemm:
                                        gemm(
                                            transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                            c: c, ldc: ldc, accumulate: accumulate, bias: biasPointer, relu: relu,
                                            tier: tier)
                                    case .tiles:
                                        gemmTiles(
                                            transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                            c: c, ldc: ldc, accumulate: accumulate, bias: biasPointer, relu: relu,
                                            tier: tier)
                                    case .gathered:
                                        rowOffsets.withUnsafeBufferPointer { rows in
                                            depthOffsets.withUnsafeBufferPointer { depths in
                                                gemmGathered(
                                                    m: m, n: n, k: k, a: a, rowOffsets: rows.baseAddress!,
                                                    depthOffsets: depths.baseAddress!, b: b, ldb: ldb, c: c, ldc: ldc,
                                                    accumulate: accumulate, bias: biasPointer, relu: relu, tier: tier)
                                            }
                                        }
                                    case .blas:
                                        gemmBLAS(
                                            transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                            c: c, ldc: ldc, accumulate: accumulate, bias: biasPointer, relu: relu)
                                    }
                                }
                            }
                        }
                    }
                    let tolerance = 1e-5 * Float(k + 4)
                    let worst = zip(c, expected).map { abs($0 - $1) }.max() ?? 0
                    #expect(
                        worst <= tolerance,
                        "\(tier) \(path): m=\(m) n=\(n) k=\(k) transposeA=\(transposeA) accumulate=\(accumulate) bias=\(withBias) relu=\(relu): off by \(worst)"
                    )
                }
            }
        }
    }

    @Test(
        "portable: gemm (OpenBLAS), the plain C tiles, strided and gathered, equal the reference",
        .enabled(if: CPUFeatures.runs(.portable), Comment(rawValue: CPUFeatures.whyNot(.portable))),
        arguments: shapes.indices)
    func portable(shapeIndex: Int) {
        check(tier: .portable, paths: [.gemm, .blas, .tiles, .gathered], shapeIndex: shapeIndex)
    }

    @Test(
        "avx2: gemm and the gathered gemm equal the reference",
        .enabled(if: CPUFeatures.runs(.avx2), Comment(rawValue: CPUFeatures.whyNot(.avx2))),
        arguments: shapes.indices)
    func avx2(shapeIndex: Int) {
        check(tier: .avx2, paths: [.gemm, .gathered], shapeIndex: shapeIndex)
    }

    @Test(
        "avx512: gemm and the gathered gemm equal the reference",
        .enabled(if: CPUFeatures.runs(.avx512), Comment(rawValue: CPUFeatures.whyNot(.avx512))),
        arguments: shapes.indices)
    func avx512(shapeIndex: Int) {
        check(tier: .avx512, paths: [.gemm, .gathered], shapeIndex: shapeIndex)
    }

    @Test("a dense layer's forward product (few rows, large weights) goes to OpenBLAS at avx2 only")
    func denseForwardRule() {
        #expect(KernelTier.avx2.usesBLAS(forRows: 128, columns: 512, depth: 3136, transposeA: false))  // mnist fc1
        #expect(KernelTier.avx2.usesBLAS(forRows: 32, columns: 512, depth: 6272, transposeA: false))  // digits fc1
        #expect(KernelTier.avx2.usesBLAS(forRows: 4, columns: 520, depth: 2017, transposeA: false))
        #expect(!KernelTier.avx2.usesBLAS(forRows: 257, columns: 512, depth: 3136, transposeA: false))
        #expect(!KernelTier.avx2.usesBLAS(forRows: 128, columns: 512, depth: 3136, transposeA: true))  // dW
        #expect(!KernelTier.avx2.usesBLAS(forRows: 128, columns: 11, depth: 1024, transposeA: false))  // a head
        #expect(!KernelTier.avx2.usesBLAS(forRows: 4, columns: 520, depth: 2016, transposeA: false))
        #expect(!KernelTier.avx512.usesBLAS(forRows: 128, columns: 512, depth: 3136, transposeA: false))
        #expect(!KernelTier.portable.usesBLAS(forRows: 128, columns: 512, depth: 3136, transposeA: false))
    }

    @Test("the kernel names follow the tier in force")
    func kernelNames() {
        #expect(!gemmKernelName.isEmpty)
        #expect(gemmKernelName.hasPrefix(gemmTier.hasGEMMTiles ? "\(gemmTier)" : "openblas"))
    }
}

@Suite("Conv2D through offset tables equals Conv2D through im2col, at every tier")
struct ConvPathTests {
    /// Odd sizes, stride 2, valid padding, even kernels (uneven "same" padding), filter and channel
    /// counts around the 8- and 16-lane vectors. Stride 1 takes dX as a convolution of the padded
    /// output gradient on the gathered path when there are at least 8 channels; otherwise col2im.
    static let cases: [(shape: [Int], filters: Int, kernel: Int, stride: Int, padding: Padding, relu: Bool)] = [
        ([3, 7, 9, 1], 5, 3, 1, .same, true), ([2, 11, 6, 3], 17, 5, 2, .same, false),
        ([4, 9, 9, 2], 33, 4, 1, .valid, true), ([1, 13, 10, 5], 48, 5, 2, .valid, false),
        ([5, 6, 6, 32], 64, 5, 1, .same, true), ([2, 8, 7, 8], 16, 4, 1, .same, false),
        ([2, 7, 5, 9], 6, 3, 1, .same, true),
    ]

    func check(tier: KernelTier, index: Int) {
        let c = ConvPathTests.cases[index]
        var rng = TestRandom(UInt64(300 + index))
        let layers = [true, false].map { implicit in
            let layer = Conv2D(
                name: "c", inChannels: c.shape[3], filters: c.filters, kernelSize: c.kernel, stride: c.stride,
                padding: c.padding, activation: c.relu ? .relu : .identity, seed: 7)
            layer.implicitGEMM = implicit
            layer.kernelTier = tier
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
        #expect(close(outputs[0], outputs[1]), "\(tier): forward")
        #expect(close(inputGradients[0], inputGradients[1]), "\(tier): dX")
        #expect(close(layers[0].kernel.gradient, layers[1].kernel.gradient), "\(tier): dW")
        #expect(close(layers[0].bias!.gradient, layers[1].bias!.gradient), "\(tier): db")
        #expect(outputs[0].scalars.contains { $0 != 0 } && layers[0].kernel.gradient.scalars.contains { $0 != 0 })
    }

    /// A first layer (no dX) with a fused ReLU: the gathered path masks the gradient a chunk of
    /// pixels at a time and accumulates dW over the chunks; here over several chunks (four
    /// images of 48×48 pixels against chunks of at most 131072 / 32 = 4096 pixels: the GEMM's depth
    /// block, a quarter of the L2 cache of floats, on CPUs of up to 2 MiB of L2) and a partial last one.
    func checkFirstLayer(tier: KernelTier) {
        var rng = TestRandom(404)
        let shape = [4, 48, 48, 2]
        #expect(shape[0] * shape[1] * shape[2] > 2 * Conv2D.maskedChunkPixels(filters: 32))
        let layers = [true, false].map { implicit in
            let layer = Conv2D(name: "c", inChannels: 2, filters: 32, kernelSize: 5, activation: .relu, seed: 11)
            layer.implicitGEMM = implicit
            layer.kernelTier = tier
            return layer
        }
        let bias = rng.tensor([32])
        for layer in layers { layer.bias!.value = bias }
        let x = rng.tensor(shape)
        var outputs = [Tensor(shape: [0]), Tensor(shape: [0])]
        var unused = outputs
        for (i, layer) in layers.enumerated() { layer.forward(x, into: &outputs[i], training: true) }
        let dy = rng.tensor(outputs[0].shape)
        for (i, layer) in layers.enumerated() {
            layer.backward(
                input: x, output: outputs[i], outputGradient: dy, inputGradient: &unused[i],
                computeInputGradient: false)
        }
        func close(_ a: Tensor, _ b: Tensor) -> Bool {
            a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * (1 + abs($1)) }
        }
        #expect(close(layers[0].kernel.gradient, layers[1].kernel.gradient), "\(tier): dW")
        #expect(close(layers[0].bias!.gradient, layers[1].bias!.gradient), "\(tier): db")
        // Some outputs are cut by the ReLU and some pass, so the mask matters.
        #expect(outputs[0].scalars.contains { $0 == 0 } && outputs[0].scalars.contains { $0 > 0 })
    }

    @Test(
        "portable: a first layer with ReLU, dW and db through masked chunks, agrees with im2col",
        .enabled(if: CPUFeatures.runs(.portable), Comment(rawValue: CPUFeatures.whyNot(.portable))))
    func firstLayerPortable() { checkFirstLayer(tier: .portable) }

    @Test(
        "avx2: a first layer with ReLU, dW and db through masked chunks, agrees with im2col",
        .enabled(if: CPUFeatures.runs(.avx2), Comment(rawValue: CPUFeatures.whyNot(.avx2))))
    func firstLayerAVX2() { checkFirstLayer(tier: .avx2) }

    @Test(
        "avx512: a first layer with ReLU, dW and db through masked chunks, agrees with im2col",
        .enabled(if: CPUFeatures.runs(.avx512), Comment(rawValue: CPUFeatures.whyNot(.avx512))))
    func firstLayerAVX512() { checkFirstLayer(tier: .avx512) }

    @Test(
        "portable: forward, dW, db and dX agree",
        .enabled(if: CPUFeatures.runs(.portable), Comment(rawValue: CPUFeatures.whyNot(.portable))),
        arguments: cases.indices)
    func portable(index: Int) { check(tier: .portable, index: index) }

    @Test(
        "avx2: forward, dW, db and dX agree",
        .enabled(if: CPUFeatures.runs(.avx2), Comment(rawValue: CPUFeatures.whyNot(.avx2))),
        arguments: cases.indices)
    func avx2(index: Int) { check(tier: .avx2, index: index) }

    @Test(
        "avx512: forward, dW, db and dX agree",
        .enabled(if: CPUFeatures.runs(.avx512), Comment(rawValue: CPUFeatures.whyNot(.avx512))),
        arguments: cases.indices)
    func avx512(index: Int) { check(tier: .avx512, index: index) }
}
