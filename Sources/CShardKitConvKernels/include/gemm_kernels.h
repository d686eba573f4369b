#pragma once
// The GEMM of the convolution and dense layers; the trainer's other vector kernels (the Adam
// step, …) are declared in elementwise_kernels.h beside this header.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Single-precision C = A·B (or C += A·B when `accumulate` is non-zero) without packing either
/// operand, for the shapes of convolution layers: n (the filters) is small, m (the pixels) large.
/// (B is copied into aligned, contiguous blocks only when its rows are not aligned to the
/// kernel's vectors with m ≥ 32, or are farther apart than its width with m ≥ 256, where that
/// ran faster; the sums are the same.)
/// Then, when `bias` is not null, adds bias[j] to every C(i, j), and when `relu` is non-zero,
/// replaces negative results by 0 (both while the tile is still in registers).
///
/// C is m×n row-major with row stride `ldc`; B is k×n row-major with row stride `ldb`. A is
/// addressed through two strides, A(i, p) = a[i·rowStride + p·depthStride], so A stored m×k
/// (rowStride = lda, depthStride = 1) and A stored transposed as k×m (rowStride = 1,
/// depthStride = lda) both work without a copy.
///
/// Runs the kernel of the tier in force (`shardkit_cpu()->tier`): AVX-512 or AVX2+FMA register
/// tiles on x86-64, plain C everywhere else. Every CPU runs it.
void shardkit_sgemm(
    long m, long n, long k, const float *a, long rowStride, long depthStride, const float *b, long ldb,
    float *c, long ldc, int accumulate, const float *bias, int relu);

/// `shardkit_sgemm` with A given by two offset tables: A(i, p) = a[rowOffsets[i] + depthOffsets[p]]
/// (m and k entries). A convolution's column matrix is such a matrix over its (padded) input, so
/// the convolution needs no im2col copy. Every CPU runs it.
void shardkit_sgemm_gathered(
    long m, long n, long k, const float *a, const long *rowOffsets, const long *depthOffsets, const float *b,
    long ldb, float *c, long ldc, int accumulate, const float *bias, int relu);

/// `shardkit_sgemm` with the kernel of `tier` (a `SHARDKIT_TIER_*`), after
/// `shardkit_cpu_clamp_tier`: a tier this process may not run is replaced by one it may, so
/// any value is safe. For tests and benchmarks that compare the kernels.
void shardkit_sgemm_tier(
    int tier, long m, long n, long k, const float *a, long rowStride, long depthStride, const float *b, long ldb,
    float *c, long ldc, int accumulate, const float *bias, int relu);

/// `shardkit_sgemm_gathered` with the kernel of `tier`, clamped like `shardkit_sgemm_tier`.
void shardkit_sgemm_gathered_tier(
    int tier, long m, long n, long k, const float *a, const long *rowOffsets, const long *depthOffsets,
    const float *b, long ldb, float *c, long ldc, int accumulate, const float *bias, int relu);

/// The depth block of a product with `n` columns: how many rows of B one pass of the tiles
/// takes (a quarter of this CPU's L2 cache of them, at least 128). A caller that feeds a long
/// product in pieces of this depth, accumulating, gets the same sums as one call over all of it.
long shardkit_sgemm_depth_block(long n);

/// A description of the kernel that `shardkit_sgemm_tier(tier, …)` runs (after clamping), e.g.
/// "avx2+fma tiles (no packing, bias and ReLU fused, offset tables)". A static string.
const char *shardkit_sgemm_kernel_name(int tier);

#ifdef __cplusplus
}
#endif
