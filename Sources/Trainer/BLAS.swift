internal import CShardKitConvKernels
internal import CShardKitOpenBLAS
internal import ShardKitSupport

/// Row-major single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, where op(A) is m×k and
/// op(B) is k×n. Calls `cblas_sgemm`.
@inline(__always)
func sgemm(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

extension KernelTier {
    /// Whether `gemm` runs our own register-tile kernel at this tier (AVX2+FMA or AVX-512) and
    /// Conv2D reads its input through offset tables by default. At the other tiers OpenBLAS,
    /// which packs its operands into its own layout, beats plain C, so `gemm` calls it and
    /// Conv2D builds column matrices; the gathered GEMM still runs there, in plain C.
    var hasGEMMTiles: Bool { self == .avx2 || self == .avx512 }

    /// Whether `gemm` hands a dense layer's forward product, m ≤ 256 rows of A against a large B
    /// (n·k ≥ 2²⁰ floats: the layer's weights, read from memory), to OpenBLAS at this tier. With
    /// so few rows our unpacked tiles reuse each pass over B little, while OpenBLAS packs both
    /// operands into cache blocks: on Zen 3 (AVX2) fc1's forward ran in 5.1 ms instead of 6.9–8.1
    /// (`mnist`, 0.79 of peak instead of 0.50–0.59) and 3.6 ms instead of 6.0–6.2 (`digits`).
    /// Not measured on AVX-512, whose wider tiles keep the product.
    func usesBLAS(forRows m: Int, columns n: Int, depth k: Int, transposeA: Bool) -> Bool {
        sendsWideDenseForwardToBLAS && !transposeA && m <= 256 && n * k >= 1 << 20
    }

    /// Whether this tier gives wide dense forward products to OpenBLAS at all (`usesBLAS`).
    var sendsWideDenseForwardToBLAS: Bool { self == .avx2 }
}

/// The tier whose GEMM kernels run: `CPUFeatures.tier`, read once (ShardKitSupport and
/// CShardKitCPU decide it; nothing here tests the CPU).
let gemmTier = CPUFeatures.tier

/// Rows of B per pass of our GEMM tiles for a product of `columns` columns
/// (`shardkit_sgemm_depth_block`): a caller that splits a long product at multiples of it gets
/// the sums of one call.
func gemmDepthBlock(columns: Int) -> Int { shardkit_sgemm_depth_block(columns) }

/// The GEMM implementation in force, and the L2 cache size its blocks are cut for (for
/// `shardkit --version`).
public var gemmKernelName: String {
    guard gemmTier.hasGEMMTiles else { return "openblas + im2col" }
    return String(cString: shardkit_sgemm_kernel_name(gemmTier.rawValue))
        + ", blocks for a \(CPUFeatures.l2CacheBytes >> 10) KiB L2"
        + (gemmTier.sendsWideDenseForwardToBLAS ? "; wide dense layers' forward: openblas" : "")
}

/// The element-wise kernels in force (Adam, max pooling, batch norm; for `shardkit --version`):
/// vector code at the x86 tiers, portable C elsewhere (arm64 included).
public var elementwiseKernelName: String {
    switch gemmTier {
    case .avx512: "avx512 vectors (adam, max pool, batch norm)"
    case .avx2: "avx2 vectors (adam, max pool, batch norm)"
    default: "portable c (adam, max pool, batch norm)"
    }
}

/// Row-major C = op(A)·B, or C += op(A)·B when `accumulate`; then C[i, j] += bias[j] when a
/// bias is given, and negatives set to 0 when `relu`. op(A) is m×k (A is stored k×m when
/// `transposeA`), B is k×n.
///
/// At a tier with GEMM tiles (`hasGEMMTiles`), calls `shardkit_sgemm_tier` (no packing, bias and
/// ReLU applied in registers), except for the dense forward shapes the tier gives to OpenBLAS
/// (`usesBLAS`); otherwise `gemmBLAS`. `tier` defaults to the tier in force; a tier this process
/// may not run is clamped down by the C side, so every value is safe.
@inline(__always)
func gemm(
    transposeA: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
    relu: Bool = false, tier: KernelTier = gemmTier
) {
    if tier.hasGEMMTiles && !tier.usesBLAS(forRows: m, columns: n, depth: k, transposeA: transposeA) {
        gemmTiles(
            transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
            accumulate: accumulate, bias: bias, relu: relu, tier: tier)
    } else {
        gemmBLAS(
            transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
            accumulate: accumulate, bias: bias, relu: relu)
    }
}

/// `gemm` through our C kernel of `tier` whatever the tier (the portable tier's plain C tiles
/// included): `shardkit_sgemm_tier`. For tests and benchmarks that compare the kernels.
@inline(__always)
func gemmTiles(
    transposeA: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
    relu: Bool = false, tier: KernelTier = gemmTier
) {
    shardkit_sgemm_tier(
        tier.rawValue, m, n, k, a, transposeA ? 1 : lda, transposeA ? lda : 1, b, ldb, c, ldc, accumulate ? 1 : 0,
        bias, relu ? 1 : 0)
}

/// `gemm` with A given by offset tables, A(i, p) = a[rowOffsets[i] + depthOffsets[p]]: a
/// convolution's column matrix read straight from its padded input. Calls
/// `shardkit_sgemm_gathered_tier`, which runs at every tier (plain C at the portable one).
@inline(__always)
func gemmGathered(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, depthOffsets: UnsafePointer<Int>,
    b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
    bias: UnsafePointer<Float>? = nil, relu: Bool = false, tier: KernelTier = gemmTier
) {
    shardkit_sgemm_gathered_tier(
        tier.rawValue, m, n, k, a, rowOffsets, depthOffsets, b, ldb, c, ldc, accumulate ? 1 : 0, bias, relu ? 1 : 0)
}

/// `gemm` through `cblas_sgemm` and a separate bias and ReLU pass (the path at tiers without
/// GEMM tiles; tests compare both paths).
func gemmBLAS(
    transposeA: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
    relu: Bool = false
) {
    sgemm(
        transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: accumulate ? 1 : 0, c: c,
        ldc: ldc)
    if bias != nil || relu {
        for i in 0..<m {
            addBiasActivate(c + i * ldc, rows: 1, cols: n, bias: bias, activation: relu ? .relu : .identity)
        }
    }
}

/// Sets the number of threads OpenBLAS uses (`openblas_set_num_threads`).
func setBLASThreads(_ n: Int) {
    openblas_set_num_threads(Int32(n))
}

/// The three GEMMs of one stride-1 "same" convolution layer, timed on one thread: bench-trainer's
/// micro-benchmark of the GEMM kernels on the trainer's own shapes. SPI for the benchmarks
/// package (`@_spi(Benchmarks) import Trainer`), not part of the public API.
@_spi(Benchmarks) public struct ConvolutionGEMMBenchmark {
    /// The layer's shape: images per worker, the square input's side (H = W), input channels,
    /// output channels (filters) and the square window's side.
    public let images, size, channels, filters, kernelSize: Int

    /// The products of a stride-1 "same" convolution of `images` × `size`² × `channels` with
    /// `filters` windows of `kernelSize`².
    public init(images: Int, size: Int, channels: Int, filters: Int, kernelSize: Int) {
        (self.images, self.size, self.channels, self.filters, self.kernelSize) =
            (images, size, channels, filters, kernelSize)
    }

    /// The tier whose tiles `rates(openBLAS: false)` runs ("avx512", "avx2", "portable").
    public static var tierName: String { "\(gemmTier)" }

    /// GFLOP/s (best of `repeats`) of the forward product (m = pixels, n = filters, k = patch), the
    /// kernel gradient's (m = patch, n = filters, k = pixels), the input gradient's column
    /// product before col2im (m = pixels, n = patch in blocks of 64, k = filters) and the input
    /// gradient as a convolution of the padded output gradient with the flipped kernel (m =
    /// pixels, n = channels, k = k·k·filters). Through our tiles of the tier in force, reading the
    /// input and the padded gradient through offset tables as Conv2D does, or, when `openBLAS`,
    /// through `cblas_sgemm` on im2col matrices (built outside the timing).
    public func rates(
        openBLAS: Bool, repeats: Int = 3
    ) -> (forward: Double, weights: Double, inputColumns: Double, inputConvolution: Double) {
        let padded = size + kernelSize - 1
        let patch = kernelSize * kernelSize * channels
        let pixels = images * size * size
        var state: UInt32 = 12345
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8) / 16_777_216 - 0.5
            }
        }
        let input = values(images * padded * padded * channels)
        let weights = values(patch * filters)
        let bias = values(filters)
        var output = values(pixels * filters)
        var weightGradient = values(patch * filters)
        var rowOffsets: [Int] = []
        for n in 0..<images {
            for y in 0..<size {
                for x in 0..<size { rowOffsets.append(((n * padded + y) * padded + x) * channels) }
            }
        }
        var depthOffsets: [Int] = []
        for ky in 0..<kernelSize {
            for kx in 0..<kernelSize {
                for c in 0..<channels { depthOffsets.append((ky * padded + kx) * channels + c) }
            }
        }
        var columns = [Float](repeating: 0, count: pixels * patch)
        for i in 0..<pixels {
            for p in 0..<patch { columns[i * patch + p] = input[rowOffsets[i] + depthOffsets[p]] }
        }
        // The padded output gradient (filters channels, same geometry), its offset tables, the
        // flipped kernel ((k·k·filters) × channels) and, for OpenBLAS, its im2col matrix.
        let gradientPatch = kernelSize * kernelSize * filters
        let paddedGradient = values(images * padded * padded * filters)
        let flipped = values(gradientPatch * channels)
        var inputGradient = values(pixels * channels)
        let gradientRows = rowOffsets.map { $0 / channels * filters }
        var gradientDepths: [Int] = []
        for ky in 0..<kernelSize {
            for kx in 0..<kernelSize {
                for f in 0..<filters { gradientDepths.append((ky * padded + kx) * filters + f) }
            }
        }
        var gradientColumns = [Float](repeating: 0, count: openBLAS ? pixels * gradientPatch : 0)
        if openBLAS {
            for i in 0..<pixels {
                for p in 0..<gradientPatch {
                    gradientColumns[i * gradientPatch + p] = paddedGradient[gradientRows[i] + gradientDepths[p]]
                }
            }
        }
        let flops = 2 * Double(pixels) * Double(patch) * Double(filters)
        func best(_ body: () -> Void) -> Double {
            var fastest = Double.infinity
            for _ in 0..<repeats {
                let start = nanotime()
                body()
                fastest = min(fastest, Double(nanotime() - start) * 1e-9)
            }
            return flops / fastest * 1e-9
        }
        setBLASThreads(1)
        return input.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    rowOffsets.withUnsafeBufferPointer { rows in
                        depthOffsets.withUnsafeBufferPointer { depths in
                            columns.withUnsafeMutableBufferPointer { col in
                                output.withUnsafeMutableBufferPointer { y in
                                    weightGradient.withUnsafeMutableBufferPointer { dw in
                                        let (x, w, b, rows, depths) = (
                                            x.baseAddress!, w.baseAddress!, b.baseAddress!, rows.baseAddress!,
                                            depths.baseAddress!
                                        )
                                        let (col, y, dw) = (col.baseAddress!, y.baseAddress!, dw.baseAddress!)
                                        let forward = best {
                                            if openBLAS {
                                                sgemm(
                                                    m: pixels, n: filters, k: patch, a: col, lda: patch, b: w,
                                                    ldb: filters, c: y, ldc: filters)
                                            } else {
                                                gemmGathered(
                                                    m: pixels, n: filters, k: patch, a: x, rowOffsets: rows,
                                                    depthOffsets: depths, b: w, ldb: filters, c: y, ldc: filters,
                                                    bias: b, relu: true)
                                            }
                                        }
                                        let weights = best {
                                            if openBLAS {
                                                sgemm(
                                                    transposeA: true, m: patch, n: filters, k: pixels, a: col,
                                                    lda: patch, b: y, ldb: filters, c: dw, ldc: filters)
                                            } else {
                                                gemmGathered(
                                                    m: patch, n: filters, k: pixels, a: x, rowOffsets: depths,
                                                    depthOffsets: rows, b: y, ldb: filters, c: dw, ldc: filters)
                                            }
                                        }
                                        let inputColumns = best {
                                            for j0 in Swift.stride(from: 0, to: patch, by: 64) {
                                                let width = min(64, patch - j0)
                                                if openBLAS {
                                                    sgemm(
                                                        m: pixels, n: width, k: filters, a: y, lda: filters,
                                                        b: w + filters * j0, ldb: width, c: col + j0, ldc: patch)
                                                } else {
                                                    gemmTiles(
                                                        m: pixels, n: width, k: filters, a: y, lda: filters,
                                                        b: w + filters * j0, ldb: width, c: col + j0, ldc: patch)
                                                }
                                            }
                                        }
                                        let inputConvolution = best {
                                            if openBLAS {
                                                sgemm(
                                                    m: pixels, n: channels, k: gradientPatch, a: gradientColumns,
                                                    lda: gradientPatch, b: flipped, ldb: channels, c: &inputGradient,
                                                    ldc: channels)
                                            } else {
                                                gemmGathered(
                                                    m: pixels, n: channels, k: gradientPatch, a: paddedGradient,
                                                    rowOffsets: gradientRows, depthOffsets: gradientDepths, b: flipped,
                                                    ldb: channels, c: &inputGradient, ldc: channels)
                                            }
                                        }
                                        return (forward, weights, inputColumns, inputConvolution)
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
