internal import CConvKernels
internal import COpenBLAS

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

/// The GEMM implementation in use (for `shardkit --version`).
package var gemmKernelName: String {
    gemmUsesAVX512 ? "avx512 tiles (no packing, bias and ReLU fused, offset tables)" : "openblas + im2col"
}

/// Whether `gemm` runs the AVX-512 kernel of CConvKernels on this CPU (checked once).
let gemmUsesAVX512 = shardkit_sgemm_available() != 0

/// Row-major C = op(A)·B, or C += op(A)·B when `accumulate`; then C[i, j] += bias[j] when a
/// bias is given, and negatives set to 0 when `relu`. op(A) is m×k (A is stored k×m when
/// `transposeA`), B is k×n.
///
/// Calls `shardkit_sgemm` (AVX-512, no packing, bias and ReLU applied in registers) when the
/// CPU has AVX-512, `gemmBLAS` otherwise.
@inline(__always)
func gemm(
    transposeA: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
    relu: Bool = false
) {
    if gemmUsesAVX512 {
        shardkit_sgemm(
            m, n, k, a, transposeA ? 1 : lda, transposeA ? lda : 1, b, ldb, c, ldc, accumulate ? 1 : 0, bias,
            relu ? 1 : 0)
    } else {
        gemmBLAS(
            transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
            accumulate: accumulate, bias: bias, relu: relu)
    }
}

/// `gemm` with A given by offset tables, A(i, p) = a[rowOffsets[i] + depthOffsets[p]]: a
/// convolution's column matrix read straight from its padded input. Calls
/// `shardkit_sgemm_gathered`; only for CPUs where `gemmUsesAVX512`.
@inline(__always)
func gemmGathered(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, depthOffsets: UnsafePointer<Int>,
    b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
    bias: UnsafePointer<Float>? = nil, relu: Bool = false
) {
    precondition(gemmUsesAVX512, "gemmGathered needs AVX-512")
    shardkit_sgemm_gathered(
        m, n, k, a, rowOffsets, depthOffsets, b, ldb, c, ldc, accumulate ? 1 : 0, bias, relu ? 1 : 0)
}

/// `gemm` through `cblas_sgemm` and a separate bias and ReLU pass (the path for CPUs without
/// AVX-512; tests compare both paths).
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
