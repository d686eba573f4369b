internal import CConvKernels
internal import COpenBLAS
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
}

/// The tier whose GEMM kernels run: `CPUFeatures.tier`, read once (ShardKitSupport and
/// CShardKitCPU decide it; nothing here tests the CPU).
let gemmTier = CPUFeatures.tier

/// The GEMM implementation in force (for `shardkit --version`).
package var gemmKernelName: String {
    gemmTier.hasGEMMTiles ? String(cString: shardkit_sgemm_kernel_name(gemmTier.rawValue)) : "openblas + im2col"
}

/// Row-major C = op(A)·B, or C += op(A)·B when `accumulate`; then C[i, j] += bias[j] when a
/// bias is given, and negatives set to 0 when `relu`. op(A) is m×k (A is stored k×m when
/// `transposeA`), B is k×n.
///
/// At a tier with GEMM tiles (`hasGEMMTiles`), calls `shardkit_sgemm_tier` (no packing, bias and
/// ReLU applied in registers); otherwise `gemmBLAS`. `tier` defaults to the tier in force; a
/// tier this process may not run is clamped down by the C side, so every value is safe.
@inline(__always)
func gemm(
    transposeA: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
    relu: Bool = false, tier: KernelTier = gemmTier
) {
    if tier.hasGEMMTiles {
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
